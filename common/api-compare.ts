/**
 * 'runs:compare': selected runs become one entry per (model, device) — its newest bench and eval —
 * and every entry is judged against the baseline the user picked, on latency, accuracy, size and
 * memory, each with a verdict that knows its noise (docs/measurement.md § Comparing).
 */
import type { Verdict } from './stats.js'

export interface CompareRequest {
  runIds: number[]
  /** Any run of the entry to compare against; default: the first run id. */
  baselineRunId?: number
  /** Latency noise threshold, a fraction (default 0.02). */
  noise?: number
}

/** One (model, device) pair of the selection with its headline figures; null = not measured. */
export interface CompareEntry {
  /** `${modelId}:${device}` */
  key: string
  modelId: number
  model: string
  variant: string
  device: string
  benchRunId: number | null
  evalRunId: number | null
  p50Us: number | null
  p90Us: number | null
  top1: number | null
  evalCount: number | null
  fileBytes: number | null
  /** Peak RSS (computers, boards) or static peak activations (MCUs). */
  memoryBytes: number | null
  memorySource: 'rss' | 'activations' | null
}

export type AccuracyVerdict = 'better' | 'worse' | 'within noise'
export type AmountVerdict = 'smaller' | 'larger' | 'same' | 'within noise'

export interface CompareDeltas {
  /** median(entry) / median(baseline) with a bootstrap CI (< 1 = faster). */
  latency: { ratio: number; ci95: [number, number]; verdict: Verdict } | null
  /** top-1(entry) − top-1(baseline), a fraction, with a 95 % CI from both sample counts. */
  accuracy: { delta: number; ci95: [number, number]; verdict: AccuracyVerdict } | null
  /** file size ratio; exact, so no noise. */
  size: { ratio: number; verdict: AmountVerdict } | null
  /** memory ratio; peak RSS moves with the allocator, so small differences are noise. */
  memory: { ratio: number; verdict: AmountVerdict } | null
  /** Why a delta is missing ("no accuracy run for the baseline"). */
  notes: string[]
}

export type CompareRow = CompareEntry & CompareDeltas

export interface RunComparison {
  baseline: CompareEntry
  /** The latency noise threshold the verdicts used (a fraction, 0.02 = 2 %). */
  noise: number
  /** Every other entry, in the order of the selection. */
  rows: CompareRow[]
}
