/**
 * What Auto-detect (`eval --detect-preprocessing`, the Models view's Auto-detect) reports: every
 * candidate preprocessing it tried with its top-1 on the first samples, best first. Always a
 * guess: the best-scoring feeding on these samples, not the one the model was trained with.
 */
import type { PresetId, PreprocessSettings } from './preprocessing.js'
import type { PreprocessSpec } from './types.js'

export interface DetectCandidate {
  /** e.g. "[-1, 1] · NCHW" or "fashion-mnist mean/std · NHWC rgb". */
  label: string
  /** The value preset it equals, if any. */
  preset: PresetId | null
  /** What applying it stores (with the model's size, resize and output kept). */
  settings: PreprocessSettings
  spec: PreprocessSpec
  /** Top-1 on the samples tried, a fraction. */
  top1: number
}

export interface DetectionResult {
  /** Always true: the result is a guess and is labelled so wherever it shows. */
  guess: true
  model: string
  dataset: string
  split: string
  /** Samples each candidate was scored on. */
  samples: number
  /** Best first. */
  candidates: DetectCandidate[]
  best: DetectCandidate
}
