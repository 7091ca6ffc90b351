import {
  DEFAULT_LATENCY_SPEC,
  DEFAULT_SESSION_OPTIONS,
  type BenchResult,
  type EvalResult,
  type LatencySpec,
  type Progress,
  type SessionOptions,
} from '../../common/types.js'
import type { PreprocessingRequest } from '../../common/preprocessing.js'
import type { Logger } from '../log.js'
import type { Store } from '../store/store.js'
import type { DeviceRegistry } from './device-registry.js'

/** What to run: one model variant × one device × settings. Stored with the run. */
export interface RunSpec {
  kind: 'bench' | 'eval'
  modelId: number
  deviceName: string
  session: SessionOptions
  /** Latency rules (bench runs); defaults from docs/measurement.md. */
  latency?: LatencySpec
  /** Dataset name (resources/datasets/index.json) or path (eval runs). */
  dataset?: string
  split?: string
  limit?: number
  batchSize?: number
  /** Eval runs: preprocessing and labels for this run only, over the model's stored ones. */
  preprocessing?: PreprocessingRequest
}

/** A run as callers ask for it: every setting optional, defaults filled by {@link runSpec}. */
export interface RunRequest {
  kind: 'bench' | 'eval'
  modelId: number
  deviceName: string
  session?: Partial<SessionOptions> | undefined
  latency?: Partial<LatencySpec> | undefined
  dataset?: string | undefined
  split?: string | undefined
  limit?: number | undefined
  batchSize?: number | undefined
  preprocessing?: PreprocessingRequest | undefined
}

/** The latency rules with defaults filled in; never a budget below the minimum measuring time. */
export function latencyFrom(given: Partial<LatencySpec> = {}): LatencySpec {
  const spec = withDefaults(DEFAULT_LATENCY_SPEC, given)
  // A budget below the minimum measuring time would stop the run before it has its samples.
  return { ...spec, maxMs: Math.max(spec.maxMs, spec.minMs) }
}

/** Session options with defaults filled in (1 thread, graph optimisation `all`, CPU). */
export function sessionFrom(given: Partial<SessionOptions> = {}): SessionOptions {
  return withDefaults(DEFAULT_SESSION_OPTIONS, given)
}

/** `defaults` overridden by the defined values `given` has for the same keys (CLI option bags carry more). */
function withDefaults<T extends object>(defaults: T, given: Partial<T>): T {
  const out = { ...defaults }
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const v = given[key]
    if (v !== undefined) out[key] = v as T[keyof T]
  }
  return out
}

/** The one place a run spec is built (CLI, API, sweep, demo): defaults filled, unset fields left out. */
export function runSpec(req: RunRequest): RunSpec {
  return {
    kind: req.kind,
    modelId: req.modelId,
    deviceName: req.deviceName,
    session: sessionFrom(req.session),
    ...(req.kind === 'bench' ? { latency: latencyFrom(req.latency) } : {}),
    ...(req.kind === 'eval' && req.dataset !== undefined ? { dataset: req.dataset } : {}),
    ...(req.kind === 'eval' && req.split !== undefined ? { split: req.split } : {}),
    ...(req.kind === 'eval' && req.limit !== undefined ? { limit: req.limit } : {}),
    ...(req.kind === 'eval' && req.batchSize !== undefined ? { batchSize: req.batchSize } : {}),
    ...(req.kind === 'eval' && req.preprocessing !== undefined && Object.keys(req.preprocessing).length > 0
      ? { preprocessing: req.preprocessing }
      : {}),
  }
}

/** What a running job gets to work with. */
export interface RunContext {
  runId: number
  store: Store
  devices: DeviceRegistry
  logger: Logger
  signal: AbortSignal
  onProgress: (p: Progress) => void
  /** Latency samples as stored: the run's samples `offset`, `offset + 1`, … (for live charts). */
  onSamples?: (offset: number, samples: readonly number[]) => void
  /** What was measured before a failure (e.g. the accuracy of the samples received), kept with the run. */
  setPartial?: (result: BenchResult | EvalResult) => void
}
