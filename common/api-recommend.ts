/**
 * API contract for recommendations: which measured (model, variant) to put on a device under
 * constraints, and "fill the gaps" (measure what is missing first) as a job. Part of common/api.ts,
 * which re-exports everything here.
 */
import type { Constraints, Recommendation } from './recommend.js'
import type { LatencySpec, SessionOptions } from './types.js'

export interface RecommendRequest {
  device: string
  constraints: Constraints
  /** Only accuracy on this dataset counts; default: the one dataset the device's evaluations use. */
  dataset?: string
  /** Model names or ids (originals; their variants come with them). Default: what the device measured. */
  models?: string[]
  /** The bundled zoo models (imported on first use) are in scope. */
  zoo?: boolean
  /** Settings of the runs "fill" makes. */
  fill?: {
    /** Sweep grid labels ('fp16', 'int8-minmax', …); default the whole grid (common/compress.ts). */
    grid?: string[]
    /** Evaluate only the first N samples. */
    limit?: number
    session?: Partial<SessionOptions>
    latency?: Partial<LatencySpec>
  }
}

/** The ranking, with the device's kind and the dataset the top-1 figures are on. */
export interface RecommendResult extends Recommendation {
  deviceKind: 'local' | 'ssh' | 'serial'
  dataset: string | null
}

/** What a fill did before the recommendation was made. */
export interface FillReport {
  derived: number
  runs: number
  steps: number
  dataset: string | null
  failed: { name: string; step: 'derive' | 'bench' | 'eval'; error: string }[]
}

export type FilledRecommendation = RecommendResult & { fill: FillReport }

export interface RecommendRequests {
  /** Ranks what was measured on the device under the constraints (from stored runs only). */
  'recommend:query': { payload: RecommendRequest; result: RecommendResult }
  /**
   * Measures what is missing on the device (sweep-grid variants, benchmarks, evaluations) as a job,
   * then answers the recommendation in its 'job:finished' event (kind 'fill').
   */
  'recommend:fill': { payload: RecommendRequest; result: { jobId: number } }
}

export const RECOMMEND_CHANNELS = ['recommend:query', 'recommend:fill'] as const satisfies readonly (keyof RecommendRequests)[]
