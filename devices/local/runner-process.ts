/**
 * Parent side of the local device's runner child: forks it (child-process.ts does the process
 * plumbing), says hello, and speaks the session protocol (devices/session) with it over IPC.
 */
import type { StudioError } from '../../common/errors.js'
import { PendingRequests, type ReplyFor, type RequestOf } from '../session/client.js'
import type { SessionEvent } from '../session/protocol.js'
import { childEntry } from './child-entry.js'
import { ChildProcessBase, forkChild, throwIfAborted } from './child-process.js'

/** The runner: runner.ts under tsx (dev, tests), runner.js in a compiled build (unpacked from an asar). */
export const runnerEntry = (): ReturnType<typeof childEntry> =>
  childEntry(new URL('./runner.ts', import.meta.url), new URL('./runner.js', import.meta.url))

export class RunnerProcess extends ChildProcessBase {
  private readonly pending = new PendingRequests()
  ortVersion = ''
  /** Execution providers bundled with the runner's onnxruntime-node. */
  executionProviders: string[] = []

  /** Forks a runner and waits until it has loaded ONNX Runtime. */
  static async start(signal?: AbortSignal, entry = runnerEntry()): Promise<RunnerProcess> {
    throwIfAborted(signal)
    const rp = new RunnerProcess(forkChild(entry), 'local runner')
    const hello = await rp.handshake(rp.request({ op: 'hello' }), signal)
    rp.ortVersion = hello.ortVersion
    rp.executionProviders = hello.executionProviders
    return rp
  }

  /** Sends a request; resolves with its reply (an error reply rejects). */
  async request<R extends RequestOf>(req: R, onEvent?: (e: SessionEvent) => void, signal?: AbortSignal): Promise<ReplyFor<R>> {
    throwIfAborted(signal)
    if (!this.alive) throw this.exitError()
    const { message, reply } = this.pending.open(req, onEvent)
    this.send(message, signal)
    return this.withAbort(reply, signal)
  }

  protected onMessage(raw: unknown): void {
    this.pending.dispatch(raw)
  }

  protected failAll(e: StudioError): void {
    this.pending.failAll(e)
  }
}
