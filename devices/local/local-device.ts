/**
 * The `local` device: ONNX Runtime on this computer, always in a runner child process
 * (runner.ts) so a crash or runaway model never takes the app down and memory is measured on a
 * process that only does inference.
 *
 * One runner per deployment (model content × session options). A benchmark always gets a runner
 * that has done nothing since loading, so its peak RSS belongs to the benchmark alone; evaluation
 * reuses whatever runner is alive.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { resolve } from 'node:path'
import { StudioError, toStudioError } from '../../common/errors.js'
import type { DeviceInfo, LatencySpec, Progress, SessionOptions } from '../../common/types.js'
import type {
  Batch,
  BenchmarkHooks,
  ChainSpec,
  Deployment,
  Device,
  EarlyExitOptions,
  EarlyExitProgress,
  EvaluateHooks,
  ModelRef,
  Predictions,
  RawEarlyExit,
  RawLatency,
} from '../device.js'
import { deploymentOf, rawLatencyOf } from '../device.js'
import { requestEarlyExit } from '../session/early-exit-client.js'
import type { LoadReply, SessionEvent } from '../session/protocol.js'
import { writeEvalFile } from '../ssh/eval-file.js'
import { probeLocal } from './probe.js'
import { RunnerProcess } from './runner-process.js'
import { runEvaluation } from './local-evaluate.js'

interface Slot {
  proc: RunnerProcess
  /** Nothing has run since the session was loaded. */
  fresh: boolean
  busy: boolean
}

const MAX_IDLE_RUNNERS = 4

export interface LocalDeviceOptions {
  name?: string
}

/** SHA-256 of a model file; a missing or unreadable file is a StudioError saying so. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256')
  try {
    for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer)
  } catch (e) {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT')
      throw new StudioError('FILE_NOT_FOUND', `Model file not found: ${path}`, { cause: e })
    throw new StudioError('MODEL_INVALID', `Cannot read model file ${path}: ${(e as Error).message}`, {
      cause: e,
    })
  }
  return hash.digest('hex')
}

function slotKey(dep: { sha256: string; model: ModelRef; session: SessionOptions }): string {
  const s = dep.session
  return `${dep.sha256}|${dep.model.path}|${s.threads}|${s.graphOptimizationLevel}|${s.executionProvider}`
}

const ratio = (a: number, b: number): number => (b > 0 ? Math.min(1, a / b) : 1)

/** Maps a session server's raw progress onto the whole task: warm-up 10 %, latency, profile last 10 %. */
export function benchProgress(m: Extract<SessionEvent, { event: 'progress' }>, spec: LatencySpec): Progress {
  const latencyEnd = spec.profile ? 0.9 : 1
  if (m.phase === 'warmup') {
    const f = Math.min(ratio(m.done, spec.warmupRuns), ratio(m.elapsedMs, spec.warmupMs))
    return { phase: 'warmup', done: m.done, total: spec.warmupRuns, fraction: 0.1 * f }
  }
  if (m.phase === 'latency') {
    const f = Math.max(
      Math.min(ratio(m.done, spec.minRuns), ratio(m.elapsedMs, spec.minMs)),
      ratio(m.elapsedMs, spec.maxMs),
    )
    return {
      phase: 'latency',
      done: m.done,
      total: Math.max(spec.minRuns, m.done),
      fraction: 0.1 + (latencyEnd - 0.1) * f,
    }
  }
  const total = m.total ?? m.done
  return { phase: 'profile', done: m.done, total, fraction: 0.9 + 0.1 * ratio(m.done, total) }
}

function checkSpec(spec: LatencySpec): void {
  const bad = (['warmupRuns', 'warmupMs', 'minRuns', 'minMs', 'maxMs'] as const).find((k) => !(spec[k] >= 0))
  if (bad)
    throw new StudioError(
      'BAD_INPUT',
      `Latency spec field ${bad} must be a number ≥ 0, got ${String(spec[bad])}`,
    )
  if (spec.minRuns < 1) throw new StudioError('BAD_INPUT', 'Latency spec minRuns must be at least 1')
}

export class LocalDevice implements Device {
  readonly kind = 'local' as const
  readonly name: string
  private readonly slots = new Map<string, Slot>()
  /** Bundled execution providers, learnt from the first runner (the parent never loads ORT). */
  private bundledEps: string[] | null = null

  constructor(options: LocalDeviceOptions = {}) {
    this.name = options.name ?? 'local'
  }

  probe(signal?: AbortSignal): Promise<DeviceInfo> {
    if (signal?.aborted) return Promise.reject(new StudioError('CANCELLED', 'Cancelled'))
    return Promise.resolve(probeLocal(this.name))
  }

  async prepare(model: ModelRef, session: SessionOptions, signal?: AbortSignal): Promise<Deployment> {
    this.checkExecutionProvider(session.executionProvider)
    const sha256 = await sha256File(model.path, signal)
    if (model.sha256 && model.sha256 !== sha256) {
      throw new StudioError(
        'MODEL_INVALID',
        `Model file ${model.path} changed: its SHA-256 is ${sha256}, expected ${model.sha256}`,
      )
    }
    const key = slotKey({ sha256, model, session })
    await this.drop(key)
    const proc = await this.start(signal)
    const loaded = await this.load(proc, model.path, session, signal)
    this.slots.set(key, { proc, fresh: true, busy: false })
    return deploymentOf(this.name, model, sha256, session, loaded)
  }

  async benchmark(dep: Deployment, spec: LatencySpec, hooks: BenchmarkHooks = {}): Promise<RawLatency> {
    checkSpec(spec)
    const { slot, sessionRssBytes } = await this.acquire(dep, true, hooks.signal)
    const samplesUs: number[] = []
    const onEvent = (m: SessionEvent): void => {
      if (m.event === 'samples') {
        for (const s of m.chunkUs) samplesUs.push(s)
        hooks.onSamples?.(m.chunkUs)
      } else if (m.event === 'progress') {
        hooks.onProgress?.(benchProgress(m, spec))
      }
    }
    try {
      const done = await slot.proc.request({ op: 'bench', spec: { ...spec } }, onEvent, hooks.signal)
      return rawLatencyOf(samplesUs, done, sessionRssBytes, hooks)
    } finally {
      this.release(dep, slot)
    }
  }

  async evaluate(
    dep: Deployment,
    batches: AsyncIterable<Batch>,
    total: number,
    hooks: EvaluateHooks = {},
  ): Promise<Predictions> {
    const { slot } = await this.acquire(dep, false, hooks.signal)
    try {
      return await runEvaluation(slot.proc, batches, total, hooks)
    } finally {
      this.release(dep, slot)
    }
  }

  async earlyExit(
    dep: Deployment,
    chain: ChainSpec,
    batches: AsyncIterable<Batch>,
    total: number,
    opts: EarlyExitOptions,
    hooks: EarlyExitProgress = {},
  ): Promise<RawEarlyExit> {
    // The runner reads the inputs from a file, as the agent does on a board.
    const file = await writeEvalFile(batches, total, hooks.signal)
    try {
      const { slot } = await this.acquire(dep, false, hooks.signal)
      try {
        const inputs = { kind: 'file' as const, path: file.path, batches: file.batches }
        return await requestEarlyExit(
          (req, onEvent, signal) => slot.proc.request(req, onEvent, signal),
          chain,
          { inputs, ...opts },
          hooks,
        )
      } finally {
        this.release(dep, slot)
      }
    } finally {
      await file.dispose()
    }
  }

  /** Process ids of the live runners (diagnostics; tests use it to kill one from outside). */
  runnerPids(): number[] {
    return [...this.slots.values()].flatMap((s) => (s.proc.alive && s.proc.pid ? [s.proc.pid] : []))
  }

  async close(): Promise<void> {
    const slots = [...this.slots.values()]
    this.slots.clear()
    await Promise.all(slots.map((s) => s.proc.close()))
  }

  private async start(signal?: AbortSignal): Promise<RunnerProcess> {
    // Each idle runner holds a loaded session (tens of MB); keep only the most recently used few.
    const idle = [...this.slots].filter(([, s]) => !s.busy)
    for (const [key] of idle.slice(0, Math.max(0, this.slots.size - (MAX_IDLE_RUNNERS - 1))))
      await this.drop(key)
    const proc = await RunnerProcess.start(signal)
    this.bundledEps ??= proc.executionProviders
    return proc
  }

  /** Fails fast, without forking, once a runner has told which providers exist (the runner checks too). */
  private checkExecutionProvider(ep: string): void {
    if (this.bundledEps && !this.bundledEps.includes(ep)) {
      throw new StudioError(
        'BAD_INPUT',
        `Execution provider '${ep}' is not bundled with this onnxruntime-node; choose one of: ${this.bundledEps.join(', ')}`,
      )
    }
  }

  private async load(
    proc: RunnerProcess,
    path: string,
    session: SessionOptions,
    signal?: AbortSignal,
  ): Promise<LoadReply> {
    try {
      return await proc.request(
        { op: 'load', modelPath: resolve(path), session: { ...session } },
        undefined,
        signal,
      )
    } catch (e) {
      await proc.kill()
      throw toStudioError(e, 'DEVICE_ERROR')
    }
  }

  /**
   * A runner for `dep`: the prepared one if alive (and, when `fresh` is asked, untouched since
   * loading), else a new one loaded with the same model and options.
   */
  private async acquire(
    dep: Deployment,
    fresh: boolean,
    signal?: AbortSignal,
  ): Promise<{ slot: Slot; sessionRssBytes: number | null }> {
    const key = slotKey(dep)
    const old = this.slots.get(key)
    if (old?.busy)
      throw new StudioError('DEVICE_BUSY', `The local device is already running ${dep.model.name}`)
    if (old && old.proc.alive && (old.fresh || !fresh)) {
      old.busy = true
      // Most recently used last, so start() evicts the least recently used first.
      this.slots.delete(key)
      this.slots.set(key, old)
      old.fresh = false
      return { slot: old, sessionRssBytes: dep.sessionRssBytes }
    }
    await this.drop(key)
    const proc = await this.start(signal)
    const loaded = await this.load(proc, dep.model.path, dep.session, signal)
    const slot: Slot = { proc, fresh: false, busy: true }
    this.slots.set(key, slot)
    return { slot, sessionRssBytes: loaded.sessionRssBytes }
  }

  private release(dep: Deployment, slot: Slot): void {
    slot.busy = false
    // A dead runner (crashed, killed, cancelled) is forgotten; the next call starts a new one.
    if (!slot.proc.alive && this.slots.get(slotKey(dep)) === slot) this.slots.delete(slotKey(dep))
  }

  private async drop(key: string): Promise<void> {
    const old = this.slots.get(key)
    if (!old) return
    this.slots.delete(key)
    await old.proc.close()
  }
}
