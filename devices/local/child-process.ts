/**
 * The process plumbing shared by every child the studio forks to run ONNX Runtime — the local
 * device's runner (runner-process.ts) and the compression engine's worker (main/worker): fork it
 * with Node's advanced IPC, keep the tail of its stderr, turn an unexpected exit into a
 * DEVICE_ERROR that says what it printed last, and turn an abort into CANCELLED once the child is
 * really gone. Subclasses bring the message protocol: how replies are matched to requests and how
 * the child says it is ready.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { StudioError } from '../../common/errors.js'
import type { ChildEntry } from './child-entry.js'

/** How long a child gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 300
/** Forking Node, loading tsx and ORT on a busy 2-core machine can take a while. */
const START_TIMEOUT_MS = 120_000
const STDERR_KEEP = 4000

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
}

/** Forks a child entry with the IPC channel and stderr the base class expects. */
export function forkChild(entry: ChildEntry): ChildProcess {
  return fork(entry.file, [], {
    execArgv: entry.execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
}

export abstract class ChildProcessBase {
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null
  private readonly exitPromise: Promise<void>
  private stderrTail = ''
  private closing = false

  /** `name` says which child this is in messages a user reads ("local runner", …). */
  protected constructor(
    protected readonly child: ChildProcess,
    readonly name: string,
  ) {
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
    child.on('message', (m: unknown) => this.onMessage(m))
    // A failed send (child already gone) is reported by the exit handler; don't crash on EPIPE.
    child.on('error', () => undefined)
  }

  /** One message from the child. */
  protected abstract onMessage(raw: unknown): void
  /** Rejects every request still waiting (the child is gone). */
  protected abstract failAll(e: StudioError): void

  /**
   * Waits for the child's handshake (within 120 s, honouring `signal`); on any failure the child
   * is killed before the error is thrown.
   */
  protected async handshake<T>(hello: Promise<T>, signal?: AbortSignal): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StudioError('TIMEOUT', `The ${this.name} did not start within 120 s; the computer may be overloaded`)),
        START_TIMEOUT_MS,
      )
    })
    const exited = this.exitPromise.then(() => {
      throw this.exitError()
    })
    try {
      return await this.withAbort(Promise.race([hello, timeout, exited]), signal)
    } catch (e) {
      await this.kill()
      throw e
    } finally {
      clearTimeout(timer)
      exited.catch(() => undefined)
    }
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get alive(): boolean {
    return this.exited === null && !this.closing
  }

  /** Sends a message, or throws what ended the child. */
  protected send(message: unknown, signal?: AbortSignal): void {
    throwIfAborted(signal)
    if (!this.alive) throw this.exitError()
    this.child.send(message as Parameters<ChildProcess['send']>[0])
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

  /** Closes politely: disconnecting makes the child exit; kill if it does not. */
  async close(): Promise<void> {
    this.closing = true
    if (this.exited) return
    if (this.child.connected) this.child.disconnect()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000)
    await this.exitPromise
    clearTimeout(timer)
  }

  protected async withAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return p
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = (): void => {
        // A runaway inference never yields, so the only sure stop is to end the process.
        void this.kill().then(() => reject(new StudioError('CANCELLED', `Cancelled; the ${this.name} was stopped`)))
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([p, aborted])
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort)
    }
  }

  protected exitError(): StudioError {
    if (this.closing) return new StudioError('CANCELLED', `The ${this.name} was stopped`)
    const how = this.exited
      ? this.exited.signal
        ? `was killed by signal ${this.exited.signal}`
        : `exited with code ${this.exited.code}`
      : 'is not running'
    const tail = this.stderrTail.trim().split('\n').slice(-12).join('\n')
    return new StudioError(
      'DEVICE_ERROR',
      `The ${this.name} process ${how} unexpectedly` +
        (tail ? `; its last output:\n${tail}` : '') +
        '. The model may have crashed ONNX Runtime or run out of memory.',
    )
  }
}
