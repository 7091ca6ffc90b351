/**
 * API contract for long compression work run as jobs (derive a variant, sweep a grid). Part of
 * common/api.ts (which re-exports everything here).
 */
import type { ModelInfo } from './api.js'
import type { FilledRecommendation } from './api-recommend.js'
import type { SweepResult, VariantReport } from './compress.js'
import type { DetectionResult } from './detect.js'
import type { EarlyExitResult } from './early-exit.js'
import type { ErrorInfo } from './errors.js'
import type { RecipeInput } from './recipe.js'
import type { LatencySpec, Progress, SessionOptions } from './types.js'

/**
 * What a job id stands for: deriving one variant, a sweep (derive a grid, then measure it),
 * filling the gaps of a recommendation (derive and measure what is missing, then rank),
 * Auto-detect of a model's preprocessing, or an early-exit threshold sweep (common/api-early-exit.ts).
 */
export type JobKind = 'derive' | 'sweep' | 'fill' | 'detect' | 'early-exit'

/** A derived variant: its stored record (with lineage) and the derivation's figures. */
export interface DerivedVariant {
  model: ModelInfo
  report: VariantReport
}

export interface StartSweepRequest {
  modelId: number
  /** Device names; at least one. */
  devices: string[]
  /** Accuracy dataset; default the model card's. Without either, accuracy is skipped. */
  dataset?: string
  /** Evaluate at most this many samples per variant. */
  limit?: number
  /** The grid; default DEFAULT_SWEEP (common/compress.ts). */
  recipes?: RecipeInput[]
  session?: Partial<SessionOptions>
  latency?: Partial<LatencySpec>
}

/** How a job ended: its value, or the error (CANCELLED when cancelled; what was stored stays). */
export type JobFinished =
  | { jobId: number; kind: 'derive'; ok: true; value: DerivedVariant }
  | { jobId: number; kind: 'sweep'; ok: true; value: SweepResult }
  | { jobId: number; kind: 'fill'; ok: true; value: FilledRecommendation }
  | { jobId: number; kind: 'detect'; ok: true; value: DetectionResult }
  | { jobId: number; kind: 'early-exit'; ok: true; value: EarlyExitResult }
  | { jobId: number; kind: JobKind; ok: false; error: ErrorInfo }

/**
 * Long compression work runs as jobs, one at a time: the request answers at once with a job id,
 * progress follows as 'job:progress' (≤ 10/s) and the end as 'job:finished'.
 */
export interface JobRequests {
  /** Derives a variant of a stored model with a recipe (validated by common/recipe.ts). */
  'variants:derive': { payload: { modelId: number; recipe: RecipeInput }; result: { jobId: number } }
  /** Derives a grid of variants and benchmarks the parent and each on the chosen devices. */
  'sweeps:start': { payload: StartSweepRequest; result: { jobId: number } }
  /**
   * Auto-detect: tries the preprocessing presets × layouts × channel orders on the model's first
   * 200 samples (its dataset, or `dataset`) on this computer and answers them ranked — a guess.
   */
  'models:detectPreprocessing': { payload: { modelId: number; dataset?: string }; result: { jobId: number } }
  /** Cancels a queued or running job; false if it was not active. */
  'jobs:cancel': { payload: { jobId: number }; result: { cancelled: boolean } }
}

export const JOB_CHANNELS = ['variants:derive', 'sweeps:start', 'models:detectPreprocessing', 'jobs:cancel'] as const satisfies readonly (keyof JobRequests)[]

export interface JobEvents {
  'job:progress': { jobId: number; kind: JobKind; progress: Progress }
  'job:finished': JobFinished
}
