/**
 * Drives one case-worker child: sends a case, waits for its answer under a watchdog. A worker that
 * exits mid-case crashed on it; one that does not answer in time hangs on it. Either way it is
 * killed and a fresh one takes the next case.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { CaseResult } from './outcome.js'
import type { WorkerCase } from './case-worker.js'

const WORKER = fileURLToPath(new URL('./case-worker.ts', import.meta.url))

/** A case without its id (the pool numbers them), for each kind of case. */
type NewCase = WorkerCase extends infer U ? (U extends WorkerCase ? Omit<U, 'id'> : never) : never

type Pending = { resolve: (r: CaseResult) => void; what: string; timer: ReturnType<typeof setTimeout> }

export class WorkerPool {
  private child: ChildProcess | null = null
  private ready: Promise<void> | null = null
  private pending: Pending | null = null
  private nextId = 1
  private stderr = ''

  constructor(private readonly timeoutMs: number) {}

  private start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child = child
    this.stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000)
    })
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    const ready = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as { ready?: boolean } & Partial<CaseResult>
        if (msg.ready) return resolve()
        this.settle({ what: msg.what ?? '?', verdict: msg.verdict ?? 'crash', ...(msg.detail ? { detail: msg.detail } : {}), ...(msg.peakRssBytes ? { peakRssBytes: msg.peakRssBytes } : {}) })
      })
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null
        this.ready = null
        reject(new Error(`the fuzz worker exited before it was ready (${code ?? signal}): ${this.stderr}`))
        const p = this.pending
        if (p) this.settle({ what: p.what, verdict: 'crash', detail: `the worker died (${code ?? signal}): ${this.stderr.slice(-1500)}` })
      })
    })
    return ready
  }

  private settle(r: CaseResult): void {
    const p = this.pending
    if (!p) return
    this.pending = null
    clearTimeout(p.timer)
    p.resolve(r)
  }

  /** Runs one case; never rejects. */
  async run(c: NewCase): Promise<CaseResult> {
    this.ready ??= this.start()
    await this.ready
    const child = this.child as ChildProcess
    return new Promise<CaseResult>((resolve) => {
      const timer = setTimeout(() => {
        this.settle({ what: c.what, verdict: 'hang', detail: `no answer within ${this.timeoutMs} ms` })
        this.kill()
      }, this.timeoutMs)
      this.pending = { resolve, what: c.what, timer }
      child.stdin?.write(`${JSON.stringify({ ...c, id: this.nextId++ })}\n`)
    })
  }

  private kill(): void {
    const child = this.child
    this.child = null
    this.ready = null
    child?.kill('SIGKILL')
  }

  async close(): Promise<void> {
    const child = this.child
    if (!child) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.stdin?.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
    this.child = null
    this.ready = null
  }
}
