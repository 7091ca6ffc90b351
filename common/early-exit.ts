/**
 * Early exit (T-RecX, BranchyNet) as docs/measurement.md § Early exit defines it: the confidence
 * rule, the cascade decision, and the threshold sweep's figures from per-sample scores. Pure, so
 * the device's control flow (runner, agent), the engine and the renderer decide alike.
 */
import { StudioError } from './errors.js'
import { accuracyMetrics, type PerClassAccuracy } from './metrics.js'
import type { DeviceInfo, LatencySpec, PreprocessSpec, SessionOptions } from './types.js'

/** `maxprob`: stop when the max softmax probability ≥ t. `entropy`: stop when the entropy ÷ ln(classes) ≤ t. */
export type ExitRule = 'maxprob' | 'entropy'
export const EXIT_RULES: readonly ExitRule[] = ['maxprob', 'entropy']

/** The default sweep: 0.5 … 1.0 in steps of 0.05 (1 never exits under maxprob). */
export const DEFAULT_THRESHOLDS: readonly number[] = Array.from(
  { length: 11 },
  (_, i) => Math.round((0.5 + i * 0.05) * 100) / 100,
)

/**
 * The rule's figure for one row of logits, in float64: max softmax probability, or the entropy
 * normalised by ln(classes) into [0, 1].
 */
export function exitScore(
  logits: ArrayLike<number>,
  offset: number,
  classes: number,
  rule: ExitRule,
): number {
  let max = -Infinity
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[offset + k] as number)
  let sum = 0
  for (let k = 0; k < classes; k++) sum += Math.exp((logits[offset + k] as number) - max)
  if (rule === 'maxprob') return 1 / sum
  // H = −Σ p ln p with p = e^(z−max)/sum, i.e. H = ln(sum) − Σ p (z − max).
  let weighted = 0
  for (let k = 0; k < classes; k++) {
    const z = (logits[offset + k] as number) - max
    weighted += (Math.exp(z) / sum) * z
  }
  const h = Math.log(sum) - weighted
  return classes > 1 ? Math.min(1, Math.max(0, h / Math.log(classes))) : 0
}

/**
 * Whether a sample with rule figure `score` stops at an exit under threshold `t`. The ends are
 * exact: under maxprob t = 1 never stops (the full model), under entropy t = 0 never stops.
 */
export function stops(score: number, t: number, rule: ExitRule): boolean {
  if (rule === 'maxprob') return t < 1 && score >= t
  return t > 0 && score <= t
}

/**
 * Names in the cascade model the device times (main/early-exit/cascade.ts): the scalar threshold
 * input, the logits the sample stopped with, and the index of the exit it stopped at (−1: final).
 */
export const CASCADE = {
  threshold: 'edgebench_cascade_threshold',
  output: 'edgebench_cascade_logits',
  exit: 'edgebench_cascade_exit',
} as const

/**
 * The cascade's threshold input for rule threshold t, so that its float32 test decides as stops()
 * does: maxprob stops when max p ≥ T; entropy when Σ p·ln p ≥ T, i.e. H ≤ t·ln(classes). The ends
 * are fed as ±∞ so they stay exact (maxprob t = 1 and entropy t = 0 never stop, entropy t = 1
 * always does).
 */
export function cascadeFeed(t: number, rule: ExitRule, classes: number): number {
  if (rule === 'maxprob') return t < 1 ? t : Infinity
  if (t <= 0) return Infinity
  return t >= 1 ? -Infinity : -t * Math.log(classes)
}

/** A threshold in [0, 1] and a known rule, else BAD_INPUT naming what is wrong. */
export function checkThresholds(thresholds: readonly number[], rule: string): asserts rule is ExitRule {
  if (!(EXIT_RULES as readonly string[]).includes(rule)) {
    throw new StudioError('BAD_INPUT', `Unknown exit rule '${rule}'; use ${EXIT_RULES.join(' or ')}.`)
  }
  if (thresholds.length === 0) throw new StudioError('BAD_INPUT', 'Give at least one threshold in [0, 1].')
  const bad = thresholds.find((t) => !(Number.isFinite(t) && t >= 0 && t <= 1))
  if (bad !== undefined) {
    throw new StudioError(
      'BAD_INPUT',
      `Threshold ${String(bad)} is outside [0, 1]; thresholds are fractions, e.g. 0.5,0.8,0.95.`,
    )
  }
}

/** An exit as the sweep sees it: its output name and the MACs spent when a sample stops there. */
export interface ExitCost {
  name: string
  macs: number
}

export interface SweepInput {
  exits: ExitCost[]
  /** MACs of the whole network, every exit head included (what a sample that never stops costs). */
  fullMacs: number
  classes: number
  labels: ArrayLike<number>
  /** Per exit, row-major [count × classes] logits; then the final output's. */
  exitScores: ArrayLike<number>[]
  finalScores: ArrayLike<number>
  thresholds: readonly number[]
  rule: ExitRule
  /** Class names for the per-class figures (default: the class index). */
  classNames?: string[]
}

/** The figures of one threshold (fractions 0–1; MACs at batch 1). */
export interface SweepPoint {
  threshold: number
  top1: number
  /** Fraction of samples that stopped at any exit. */
  exitRate: number
  exitRates: Record<string, number>
  /** p·MACs(exit) summed over exits + (1 − p)·MACs(full): the expected work per sample. */
  avgMacs: number
  top5: number
  perClass: PerClassAccuracy[]
  /** confusion[true][predicted] of the combined classifier. */
  confusion: number[][]
}

/**
 * Per sample, the exit it stops at (index into the exits), or −1 when it runs to the end:
 * the first exit whose rule figure passes the threshold (a cascade).
 */
export function decisions(
  input: Pick<SweepInput, 'exitScores' | 'classes' | 'rule'>,
  count: number,
  t: number,
): Int32Array {
  const out = new Int32Array(count).fill(-1)
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < input.exitScores.length; k++) {
      const s = exitScore(
        input.exitScores[k] as ArrayLike<number>,
        i * input.classes,
        input.classes,
        input.rule,
      )
      if (stops(s, t, input.rule)) {
        out[i] = k
        break
      }
    }
  }
  return out
}

/** Accuracy (common/metrics.ts), exit rates and average MACs of the combined classifier at every threshold. */
export function sweepPoints(input: SweepInput): SweepPoint[] {
  const { classes, labels } = input
  const count = labels.length
  if (
    input.finalScores.length !== count * classes ||
    input.exitScores.some((s) => s.length !== count * classes)
  ) {
    throw new StudioError(
      'BAD_INPUT',
      `Scores do not hold ${count} rows of ${classes} classes for every output.`,
    )
  }
  const names = input.classNames ?? Array.from({ length: classes }, (_, c) => String(c))
  const combined = new Float32Array(count * classes)
  return input.thresholds.map((threshold) => {
    const stop = decisions(input, count, threshold)
    const perExit = new Array<number>(input.exits.length).fill(0)
    for (let i = 0; i < count; i++) {
      const k = stop[i] as number
      if (k >= 0) perExit[k] = (perExit[k] ?? 0) + 1
      const from = k >= 0 ? (input.exitScores[k] as ArrayLike<number>) : input.finalScores
      for (let c = 0; c < classes; c++) combined[i * classes + c] = from[i * classes + c] as number
    }
    const m = accuracyMetrics(combined, classes, labels, names)
    const n = Math.max(count, 1)
    const stopped = perExit.reduce((a, b) => a + b, 0)
    const exitRates: Record<string, number> = {}
    let avgMacs = ((count - stopped) / n) * input.fullMacs
    input.exits.forEach((e, k) => {
      exitRates[e.name] = (perExit[k] ?? 0) / n
      avgMacs += ((perExit[k] ?? 0) / n) * e.macs
    })
    return {
      threshold,
      top1: m.top1,
      exitRate: stopped / n,
      exitRates,
      avgMacs,
      top5: m.top5,
      perClass: m.perClass,
      confusion: m.confusion,
    }
  })
}

/**
 * The cheapest threshold (lowest average MACs) whose top-1 is within `tolerance` of the full
 * model's; null when none is.
 */
export function operatingPoint<P extends Pick<SweepPoint, 'top1' | 'avgMacs'>>(
  points: readonly P[],
  fullTop1: number,
  tolerance = 0.01,
): P | null {
  let best: P | null = null
  for (const p of points) {
    if (p.top1 < fullTop1 - tolerance - 1e-12) continue
    if (!best || p.avgMacs < best.avgMacs) best = p
  }
  return best
}

/** The latency figures of one configuration, µs. */
export interface LatencyBrief {
  mean: number
  p50: number
  p90: number
}

/** A threshold's figures with its measured latency (real control flow on the device). */
export interface EarlyExitPoint extends SweepPoint {
  latencyUs: LatencyBrief
  /** Timed samples, and the fraction of them that stopped at an exit. */
  timedCount: number
  timedExitRate: number
}

/** One early-exit measurement (`edgebench early-exit --json`, the Early-exit panel, reports). */
export interface EarlyExitResult {
  /** Id of the stored sweep. */
  id?: number
  modelId: number
  model: string
  device: string
  dataset: string
  split: string
  count: number
  rule: ExitRule
  final: string
  /** Exits in cascade order: MACs when a sample stops there, and the exit's own top-1. */
  exits: { name: string; macs: number; top1: number }[]
  fullMacs: number
  /** Top-1 of the final output alone (what the full model scores). */
  fullTop1: number
  /** The unsplit model, timed in the same rounds as the thresholds. */
  full: { latencyUs: LatencyBrief; timedCount: number }
  points: EarlyExitPoint[]
  /** How closely the chain reproduced the unsplit model's outputs. */
  verify: { samples: number; maxAbsDiff: Record<string, number> }
  /** Timed through ORT's synchronous native run (both sides alike), else through session.run. */
  syncRuns: boolean
  /** The cheapest threshold within one point of the full model's top-1, and what it saves. */
  operatingPoint: { threshold: number; top1: number; macsSaving: number; latencySaving: number } | null
  env: DeviceInfo
  session: SessionOptions
  latency: LatencySpec
  preprocessing: PreprocessSpec
  createdAt: string
}
