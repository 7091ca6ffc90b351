import type { BenchResult, EvalResult, LatencySpec, Progress, SessionOptions } from '../../common/types.js'
import type { Logger } from '../log.js'
import type { Store } from '../store/store.js'
import type { DeviceRegistry } from './device-registry.js'

/** What to run: one model variant × one device × settings. Stored with the run. */
export interface RunSpec {
  kind: 'bench' | 'eval'
  modelId: number
  deviceName: string
  session: SessionOptions
  /** Latency rules (bench runs); defaults from MEASUREMENT.md. */
  latency?: LatencySpec
  /** Dataset name (resources/datasets/index.json) or path (eval runs). */
  dataset?: string
  split?: string
  limit?: number
  batchSize?: number
}

/** What a running job gets to work with. */
export interface RunContext {
  runId: number
  store: Store
  devices: DeviceRegistry
  logger: Logger
  signal: AbortSignal
  onProgress: (p: Progress) => void
  /** What was measured before a failure (e.g. the accuracy of the samples received), kept with the run. */
  setPartial?: (result: BenchResult | EvalResult) => void
}
