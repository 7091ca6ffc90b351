/**
 * Parent side of one runner child process: forks it, matches replies to requests, turns an
 * unexpected exit into DEVICE_ERROR and an abort into CANCELLED (after the child is really gone).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { StudioError } from '../../common/errors.js'
import { PendingRequests, type ReplyFor, type RequestOf } from '../session/client.js'
import type { SessionEvent } from '../session/protocol.js'

/** How long a child gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 300
/** Forking Node, loading tsx and ORT on a busy 2-core machine can take a while. */
const START_TIMEOUT_MS = 120_000
const STDERR_KEEP = 4000

/** The runner entry: runner.ts under tsx (dev, tests), runner.js in a compiled build. */
function runnerEntry(): { file: string; execArgv: string[] } {
  const ts = fileURLToPath(new URL('./runner.ts', import.meta.url))
  if (existsSync(ts)) {
    // Resolved to an absolute URL so the child finds tsx whatever its working directory.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
    return { file: ts, execArgv: ['--import', tsx] }
  }
  return { file: fileURLToPath(new URL('./runner.js', import.meta.url)), execArgv: [] }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
}

export class RunnerProcess {
  private readonly pending = new PendingRequests()
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null
  private readonly exitPromise: Promise<void>
  private stderrTail = ''
  private closing = false
  ortVersion = ''
  /** Execution providers bundled with the runner's onnxruntime-node. */
  executionProviders: string[] = []

  private constructor(private readonly child: ChildProcess) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = { code, signal }
        this.failAll(this.exitError())
        resolve()
      })
    })
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-STDERR_KEEP)
    })
    child.on('message', (m: unknown) => this.pending.dispatch(m))
    // A failed send (child already gone) is reported by the exit handler; don't crash on EPIPE.
    child.on('error', () => undefined)
  }

  /** Forks a runner and waits until it has loaded ONNX Runtime. */
  static async start(signal?: AbortSignal): Promise<RunnerProcess> {
    throwIfAborted(signal)
    const { file, execArgv } = runnerEntry()
    const child = fork(file, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    const rp = new RunnerProcess(child)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StudioError(
              'TIMEOUT',
              'The local runner did not start within 120 s; the computer may be overloaded',
            ),
          ),
        START_TIMEOUT_MS,
      )
    })
    try {
      const hello = await Promise.race([rp.request({ op: 'hello' }, undefined, signal), timeout])
      rp.ortVersion = hello.ortVersion
      rp.executionProviders = hello.executionProviders
    } catch (e) {
      await rp.kill()
      throw e
    } finally {
      clearTimeout(timer)
    }
    return rp
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get alive(): boolean {
    return this.exited === null && !this.closing
  }

  /** Sends a request; resolves with its reply (an error reply rejects). */
  async request<R extends RequestOf>(
    req: R,
    onEvent?: (e: SessionEvent) => void,
    signal?: AbortSignal,
  ): Promise<ReplyFor<R>> {
    throwIfAborted(signal)
    if (!this.alive) throw this.exitError()
    const { message, reply } = this.pending.open(req, onEvent)
    this.child.send(message)
    return this.withAbort(reply, signal)
  }

  /** Stops the child: SIGTERM, then SIGKILL after a short grace; resolves once it has exited. */
  async kill(): Promise<void> {
    this.closing = true
    if (this.exited) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), KILL_GRACE_MS)
    await this.exitPromise
    clearTimeout(timer)
  }

  /** Closes politely: disconnecting makes the runner exit; kill if it does not. */
  async close(): Promise<void> {
    this.closing = true
    if (this.exited) return
    if (this.child.connected) this.child.disconnect()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000)
    await this.exitPromise
    clearTimeout(timer)
  }

  private async withAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return p
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = (): void => {
        // A runaway inference never yields, so the only sure stop is to end the process.
        void this.kill().then(() =>
          reject(new StudioError('CANCELLED', 'Cancelled; the local runner was stopped')),
        )
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([p, aborted])
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort)
    }
  }

  private exitError(): StudioError {
    if (this.closing) return new StudioError('CANCELLED', 'The local runner was stopped')
    const how = this.exited
      ? this.exited.signal
        ? `was killed by signal ${this.exited.signal}`
        : `exited with code ${this.exited.code}`
      : 'is not running'
    const tail = this.stderrTail.trim().split('\n').slice(-12).join('\n')
    return new StudioError(
      'DEVICE_ERROR',
      `The local runner process ${how} unexpectedly` +
        (tail ? `; its last output:\n${tail}` : '') +
        '. The model may have crashed ONNX Runtime or run out of memory.',
    )
  }

  private failAll(e: StudioError): void {
    this.pending.failAll(e)
  }
}
