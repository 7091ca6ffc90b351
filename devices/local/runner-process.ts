/**
 * Parent side of one runner child process: forks it, matches replies to requests, turns an
 * unexpected exit into DEVICE_ERROR and an abort into CANCELLED (after the child is really gone).
 * The local device's runner is the default child; the compression engine's worker
 * (main/worker) is forked through the same class with its own ChildKind.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { StudioError, fromErrorInfo, type ErrorInfo } from '../../common/errors.js'
import { childEntry, type ChildEntry } from './child-entry.js'
import {
  isFromRunner,
  isTerminal,
  type EventMessage,
  type FromRunner,
  type TerminalMessage,
  type ToRunner,
  type WithoutId,
} from './messages.js'

/** How long a child gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 300
/** Forking Node, loading tsx and ORT on a busy 2-core machine can take a while. */
const START_TIMEOUT_MS = 120_000
const STDERR_KEEP = 4000

/** The first message every child sends once ONNX Runtime is loaded. */
export type ReadyMessage = Extract<FromRunner, { type: 'ready' }>
/** A child's reply that ends a request; a `type: 'error'` reply carries `error: ErrorInfo`. */
export type ChildTerminal = { type: string; id: number }

/** What a kind of child speaks and how it is named in messages a user reads. */
export interface ChildKind<Term extends ChildTerminal, Ev extends { type: string; id: number }> {
  /** "local runner", "compression engine", … */
  name: string
  entry: () => ChildEntry
  isMessage: (m: unknown) => m is ReadyMessage | Term | Ev
  isTerminal: (m: Term | Ev) => m is Term
}

/** The local device's runner: runner.ts under tsx (dev, tests), runner.js in a compiled build. */
const RUNNER: ChildKind<TerminalMessage, EventMessage> = {
  name: 'local runner',
  entry: () => childEntry(new URL('./runner.ts', import.meta.url), new URL('./runner.js', import.meta.url)),
  isMessage: isFromRunner,
  isTerminal: (m): m is TerminalMessage => isTerminal(m),
}

interface Pending<Term, Ev> {
  resolve: (m: Term) => void
  reject: (e: StudioError) => void
  onEvent?: ((m: Ev) => void) | undefined
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
}

export class RunnerProcess<
  Req extends { type: string; id: number } = ToRunner,
  Term extends ChildTerminal = TerminalMessage,
  Ev extends { type: string; id: number } = EventMessage,
> {
  private readonly pending = new Map<number, Pending<Term, Ev>>()
  private nextId = 1
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null
  private readonly exitPromise: Promise<void>
  private stderrTail = ''
  private closing = false
  ortVersion = ''
  /** Execution providers bundled with the runner's onnxruntime-node. */
  executionProviders: string[] = []

  private constructor(
    private readonly child: ChildProcess,
    private readonly kind: ChildKind<Term, Ev>,
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

  /** Forks a runner and waits until it has loaded ONNX Runtime. */
  static async start(signal?: AbortSignal): Promise<RunnerProcess> {
    return RunnerProcess.startChild<ToRunner, TerminalMessage, EventMessage>(RUNNER, signal)
  }

  /** Forks a child of the given kind and waits for its `ready`. */
  static async startChild<Req extends { type: string; id: number }, Term extends ChildTerminal, Ev extends { type: string; id: number }>(
    kind: ChildKind<Term, Ev>,
    signal?: AbortSignal,
  ): Promise<RunnerProcess<Req, Term, Ev>> {
    throwIfAborted(signal)
    const { file, execArgv } = kind.entry()
    const child = fork(file, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    const rp = new RunnerProcess<Req, Term, Ev>(child, kind)
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new StudioError(
              'TIMEOUT',
              `The ${kind.name} did not start within 120 s; the computer may be overloaded`,
            ),
          ),
        START_TIMEOUT_MS,
      )
      const onMsg = (m: unknown): void => {
        if (kind.isMessage(m) && m.type === 'ready') {
          const ready = m as ReadyMessage
          clearTimeout(timer)
          rp.ortVersion = ready.ortVersion
          rp.executionProviders = ready.executionProviders
          resolve()
        }
      }
      child.on('message', onMsg)
      void rp.exitPromise.then(() => {
        clearTimeout(timer)
        reject(rp.exitError())
      })
    })
    try {
      await rp.withAbort(ready, signal)
    } catch (e) {
      await rp.kill()
      throw e
    }
    return rp
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get alive(): boolean {
    return this.exited === null && !this.closing
  }

  /** Sends a request; resolves with its terminal reply (an `error` reply rejects). */
  async request(msg: WithoutId<Req>, onEvent?: (m: Ev) => void, signal?: AbortSignal): Promise<Term> {
    throwIfAborted(signal)
    if (!this.alive) throw this.exitError()
    const id = this.nextId++
    const reply = new Promise<Term>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent })
    })
    this.child.send({ ...msg, id })
    const m = await this.withAbort(reply, signal)
    if (m.type === 'error' && 'error' in m) throw fromErrorInfo(m.error as ErrorInfo)
    return m
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
          reject(new StudioError('CANCELLED', `Cancelled; the ${this.kind.name} was stopped`)),
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

  private onMessage(raw: unknown): void {
    if (!this.kind.isMessage(raw) || raw.type === 'ready') return
    const m = raw as Term | Ev
    const p = this.pending.get(m.id)
    if (!p) return
    if (this.kind.isTerminal(m)) {
      this.pending.delete(m.id)
      p.resolve(m)
    } else {
      p.onEvent?.(m)
    }
  }

  private exitError(): StudioError {
    if (this.closing) return new StudioError('CANCELLED', `The ${this.kind.name} was stopped`)
    const how = this.exited
      ? this.exited.signal
        ? `was killed by signal ${this.exited.signal}`
        : `exited with code ${this.exited.code}`
      : 'is not running'
    const tail = this.stderrTail.trim().split('\n').slice(-12).join('\n')
    return new StudioError(
      'DEVICE_ERROR',
      `The ${this.kind.name} process ${how} unexpectedly` +
        (tail ? `; its last output:\n${tail}` : '') +
        '. The model may have crashed ONNX Runtime or run out of memory.',
    )
  }

  private failAll(e: StudioError): void {
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
  }
}
