/** Shared pieces of the bench/eval/demo commands: option parsing and running with a progress bar. */
import { InvalidArgumentError } from 'commander'
import { StudioError } from '../../common/errors.js'
import type { BenchResult, EvalResult, RunRecord, SessionOptions } from '../../common/types.js'
import { sessionFrom, type RunSpec } from '../bench/run-spec.js'
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

/** --threads, --opt-level and --ep as session options (defaults filled); a bad level is BAD_INPUT. */
export function sessionFromFlags(flags: SessionFlags): SessionOptions {
  const level = flags.optLevel
  if (level !== undefined && !(OPT_LEVELS as readonly string[]).includes(level)) {
    throw new StudioError('BAD_INPUT', `--opt-level must be one of ${OPT_LEVELS.join(', ')}.`)
  }
  return sessionFrom({
    threads: flags.threads,
    graphOptimizationLevel: level as SessionOptions['graphOptimizationLevel'] | undefined,
    executionProvider: flags.ep,
  })
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

/** A run that did not finish as a StudioError (its stored code and message). */
export function errorOfRun(run: RunRecord): StudioError {
  if (run.status === 'cancelled') return new StudioError('CANCELLED', run.error?.message ?? 'Cancelled.')
  if (run.error) return new StudioError(run.error.code, run.error.message)
  return new StudioError(run.status === 'interrupted' ? 'INTERRUPTED' : 'INTERNAL', `run ${run.id} ended ${run.status}`)
}

export function benchOf(run: RunRecord): BenchResult {
  return run.result as BenchResult
}

export function evalOf(run: RunRecord): EvalResult {
  return run.result as EvalResult
}
