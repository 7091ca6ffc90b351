/**
 * Latency statistics exactly as docs/measurement.md defines them. Pure functions; no Node, no DOM.
 */
import type { LatencyStats } from './types.js'

/** Deterministic PRNG (mulberry32) so that bootstrap intervals are reproducible. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Percentile with linear interpolation between closest ranks (q in 0..1) of SORTED values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const pos = (n - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (pos - lo)
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort()
}

export function median(values: ArrayLike<number>): number {
  return quantileSorted(sortedCopy(values), 0.5)
}

/** Median absolute deviation around the median. */
export function mad(values: ArrayLike<number>, med = median(values)): number {
  const dev = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs((values[i] as number) - med)
  return quantileSorted(dev.sort(), 0.5)
}

/**
 * Indices of outliers by the modified z-score: (x − median) / (1.4826 · MAD) > 3.5.
 * Only slow outliers count for latency (a fast sample is not noise). With MAD = 0 nothing is flagged.
 */
export function outlierIndices(values: ArrayLike<number>): number[] {
  const med = median(values)
  const scale = 1.4826 * mad(values, med)
  if (!(scale > 0)) return []
  const out: number[] = []
  for (let i = 0; i < values.length; i++) {
    if (((values[i] as number) - med) / scale > 3.5) out.push(i)
  }
  return out
}

function bootstrapMedians(values: ArrayLike<number>, resamples: number, rng: () => number): Float64Array {
  const n = values.length
  const buf = new Float64Array(n)
  const meds = new Float64Array(resamples)
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) buf[i] = values[Math.floor(rng() * n)] as number
    buf.sort()
    meds[r] = quantileSorted(buf, 0.5)
  }
  return meds
}

/** Percentile bootstrap 95 % confidence interval of the median. */
export function bootstrapMedianCI(values: ArrayLike<number>, resamples = 1000, seed = 1): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN]
  const meds = bootstrapMedians(values, resamples, makeRng(seed)).sort()
  return [quantileSorted(meds, 0.025), quantileSorted(meds, 0.975)]
}

/** Summary of latency samples (any unit; the caller passes microseconds). */
export function summarize(values: ArrayLike<number>): LatencyStats {
  const n = values.length
  if (n === 0) {
    const nan = Number.NaN
    return {
      p50: nan,
      p90: nan,
      p95: nan,
      p99: nan,
      mean: nan,
      min: nan,
      max: nan,
      std: nan,
      cv: nan,
      ci95: [nan, nan],
      count: 0,
      outliers: 0,
    }
  }
  const s = sortedCopy(values)
  let sum = 0
  for (let i = 0; i < n; i++) sum += s[i] as number
  const mean = sum / n
  let sq = 0
  for (let i = 0; i < n; i++) sq += ((s[i] as number) - mean) ** 2
  const std = n > 1 ? Math.sqrt(sq / (n - 1)) : 0
  return {
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p95: quantileSorted(s, 0.95),
    p99: quantileSorted(s, 0.99),
    mean,
    min: s[0] as number,
    max: s[n - 1] as number,
    std,
    cv: mean > 0 ? std / mean : 0,
    ci95: bootstrapMedianCI(values),
    count: n,
    outliers: outlierIndices(values).length,
  }
}

export type Verdict = 'faster' | 'slower' | 'within noise'

export interface Comparison {
  /** median(candidate) / median(baseline) */
  ratio: number
  ci95: [number, number]
  verdict: Verdict
}

/**
 * Compares two runs of the same variant: a bootstrap CI of the ratio of medians, judged against a
 * noise threshold (default 2 %). "faster" only when the whole interval lies below 1 − threshold.
 */
export function compareSamples(
  baseline: ArrayLike<number>,
  candidate: ArrayLike<number>,
  noise = 0.02,
  resamples = 1000,
): Comparison {
  const rng = makeRng(7)
  const mb = bootstrapMedians(baseline, resamples, rng)
  const mc = bootstrapMedians(candidate, resamples, rng)
  const ratios = new Float64Array(resamples)
  for (let i = 0; i < resamples; i++) ratios[i] = (mc[i] as number) / (mb[i] as number)
  ratios.sort()
  const ci95: [number, number] = [quantileSorted(ratios, 0.025), quantileSorted(ratios, 0.975)]
  const ratio = median(candidate) / median(baseline)
  let verdict: Verdict = 'within noise'
  if (ci95[1] < 1 - noise) verdict = 'faster'
  else if (ci95[0] > 1 + noise) verdict = 'slower'
  return { ratio, ci95, verdict }
}

/** Noise warnings shown with a latency result (docs/measurement.md § Latency). */
export function noiseWarnings(input: {
  stats: LatencyStats
  firstInferenceUs: number
  loadAverage: number[] | null
  cores: number
  governor: string | null
}): string[] {
  const w: string[] = []
  const { stats } = input
  if (stats.cv > 0.1) w.push(`noisy: CV ${(stats.cv * 100).toFixed(1)} % (> 10 %)`)
  if (stats.count > 0 && stats.outliers / stats.count > 0.05) {
    w.push(`noisy: ${stats.outliers} of ${stats.count} samples are outliers (> 5 %)`)
  }
  if (input.firstInferenceUs > 10 * stats.p50) {
    w.push(
      `first inference ${(input.firstInferenceUs / stats.p50).toFixed(0)}× the median (> 10×): lazy initialisation`,
    )
  }
  const load1 = input.loadAverage?.[0]
  if (load1 !== undefined && load1 > input.cores) {
    w.push(`load average ${load1.toFixed(2)} above the ${input.cores} cores at start: other work competes`)
  }
  if (input.governor !== null && input.governor !== 'performance') {
    w.push(`CPU governor is '${input.governor}', not 'performance': frequency may vary`)
  }
  return w
}

/**
 * Compares two accuracies measured on n1 and n2 samples: the difference (candidate − baseline) with
 * a 95 % normal-approximation interval of the difference of two proportions. "within noise" when
 * the interval holds 0 — on 1,000 samples a ±2-point difference is not yet a difference.
 */
export function compareProportions(
  baseline: { p: number; n: number },
  candidate: { p: number; n: number },
): { delta: number; ci95: [number, number]; verdict: 'better' | 'worse' | 'within noise' } {
  const delta = candidate.p - baseline.p
  const variance = (baseline.p * (1 - baseline.p)) / Math.max(1, baseline.n) + (candidate.p * (1 - candidate.p)) / Math.max(1, candidate.n)
  // With p at 0 or 1 the binomial variance vanishes; one sample's worth keeps the interval honest.
  const se = Math.sqrt(Math.max(variance, 1 / Math.max(1, Math.min(baseline.n, candidate.n)) ** 2))
  const ci95: [number, number] = [delta - 1.96 * se, delta + 1.96 * se]
  const verdict = ci95[0] > 0 ? 'better' : ci95[1] < 0 ? 'worse' : 'within noise'
  return { delta, ci95, verdict }
}
