/** Shared pieces of the bench/eval/demo commands: option parsing and running with a progress bar. */
import { InvalidArgumentError } from 'commander'
import { StudioError } from '../../common/errors.js'
import {
  DEFAULT_LATENCY_SPEC,
  DEFAULT_SESSION_OPTIONS,
  type BenchResult,
  type EvalResult,
  type LatencySpec,
  type RunRecord,
  type SessionOptions,
} from '../../common/types.js'
import type { RunSpec } from '../bench/run-spec.js'
import type { Studio } from '../studio.js'
import { progressBar } from './output.js'

export function intOption(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}.`)
    return n
  }
}

export interface SessionFlags {
  threads?: number
  optLevel?: string
  ep?: string
}

export interface LatencyFlags {
  minRuns?: number
  minMs?: number
  maxMs?: number
  warmupRuns?: number
  warmupMs?: number
  profile?: boolean
}

const OPT_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const

export function sessionFrom(flags: SessionFlags): SessionOptions {
  const level = flags.optLevel ?? DEFAULT_SESSION_OPTIONS.graphOptimizationLevel
  if (!(OPT_LEVELS as readonly string[]).includes(level)) {
    throw new StudioError('BAD_INPUT', `--opt-level must be one of ${OPT_LEVELS.join(', ')}.`)
  }
  return {
    threads: flags.threads ?? DEFAULT_SESSION_OPTIONS.threads,
    graphOptimizationLevel: level as SessionOptions['graphOptimizationLevel'],
    executionProvider: flags.ep ?? DEFAULT_SESSION_OPTIONS.executionProvider,
  }
}

export function latencyFrom(flags: LatencyFlags): LatencySpec {
  const d = DEFAULT_LATENCY_SPEC
  const minMs = flags.minMs ?? d.minMs
  return {
    warmupRuns: flags.warmupRuns ?? d.warmupRuns,
    warmupMs: flags.warmupMs ?? d.warmupMs,
    minRuns: flags.minRuns ?? d.minRuns,
    minMs,
    maxMs: Math.max(flags.maxMs ?? d.maxMs, minMs),
    profile: flags.profile ?? false,
  }
}

/** Runs one spec with a progress bar; a failed or cancelled run becomes a thrown StudioError. */
export async function runWithBar(studio: Studio, spec: RunSpec, label: string): Promise<RunRecord> {
  const id = studio.startRun(spec)
  const bar = progressBar(label)
  const onProgress = (runId: number, p: Parameters<typeof bar.update>[0]): void => {
    if (runId === id) bar.update(p)
  }
  studio.runs.on('progress', onProgress)
  try {
    const run = await studio.runs.wait(id)
    if (run.status !== 'finished') throw errorOfRun(run)
    return run
  } finally {
    studio.runs.off('progress', onProgress)
    bar.done()
  }
}

/** Turns a stored run's error text ("CODE: message") back into a StudioError. */
export function errorOfRun(run: RunRecord): StudioError {
  const text = run.error ?? `run ${run.id} ended ${run.status}`
  const m = /^([A-Z_]+): ([\s\S]*)$/.exec(text)
  if (run.status === 'cancelled') return new StudioError('CANCELLED', m?.[2] ?? text)
  if (m) return new StudioError(m[1] as StudioError['code'], m[2] ?? text)
  return new StudioError(run.status === 'interrupted' ? 'INTERRUPTED' : 'INTERNAL', text)
}

export function benchOf(run: RunRecord): BenchResult {
  return run.result as BenchResult
}

export function evalOf(run: RunRecord): EvalResult {
  return run.result as EvalResult
}
