/**
 * The CI gate (`edgebench check`): a candidate against a baseline under limits on slowdown,
 * accuracy drop and size growth. Pure, so the command and its tests judge the same way.
 *
 * "Slower" is Compare's noise-aware verdict (common/stats.ts compareSamples): a bootstrap 95 % CI of
 * the ratio of medians; the limit is broken only when the WHOLE interval lies above 1 + the allowed
 * slowdown — a rerun of the same model, whose ratio straddles 1, passes. When one side has no samples
 * (a results.json written before files carried them), the ratio's CI is built from the two medians'
 * CIs instead (normal on the log scale), and the verdict says so.
 */
import { compareSamples } from './stats.js'
import { formatBytes, formatDuration, formatPercent } from './format.js'

export interface CheckLatency {
  p50: number
  /** Bootstrap 95 % CI of the median. */
  ci95: [number, number]
  count: number
  /** The samples (µs), when the source has them. */
  samplesUs?: ArrayLike<number>
}

/** One side of a check, whatever it came from (a stored run, a results.json row, a fresh run). */
export interface CheckSide {
  /** "run #12", "results.json row resnet8 on local", "model file ./new.onnx". */
  source: string
  model: string
  device: string | null
  latency: CheckLatency | null
  top1: number | null
  evalCount: number | null
  /** Dataset and split of the accuracy figure ('fashion-mnist test'). */
  dataset: string | null
  sizeBytes: number | null
  runIds: number[]
}

export interface CheckLimits {
  /** Allowed slowdown, percent (5 = 5 %). */
  maxSlowdownPct: number
  /** Allowed top-1 drop, percentage points. */
  maxAccuracyDropPt: number
  /** Allowed size growth, percent (0 = not one byte larger). */
  maxSizeGrowthPct: number
}

export const DEFAULT_CHECK_LIMITS: CheckLimits = { maxSlowdownPct: 5, maxAccuracyDropPt: 0.5, maxSizeGrowthPct: 0 }

export type CheckKey = 'latency' | 'accuracy' | 'size'

export interface CheckItem {
  limit: CheckKey
  /** 'pass' within the limit, 'fail' beyond it, 'skip' when a side lacks the figure. */
  outcome: 'pass' | 'fail' | 'skip'
  baseline: number | null
  candidate: number | null
  /** latency: median ratio candidate/baseline with its CI; accuracy: points; size: growth %. */
  ratio?: number
  ci95?: [number, number]
  /** How the latency CI was obtained. */
  method?: 'bootstrap' | 'from-ci'
  /** One line a CI log can show. */
  text: string
}

export interface CheckReport {
  ok: boolean
  limits: CheckLimits
  baseline: Omit<CheckSide, 'latency'> & { latency: Omit<CheckLatency, 'samplesUs'> | null }
  candidate: Omit<CheckSide, 'latency'> & { latency: Omit<CheckLatency, 'samplesUs'> | null }
  items: CheckItem[]
  /** Things a reader of the verdict should know (e.g. the two sides ran on different devices). */
  notes: string[]
}

/** Ratio candidate/baseline of medians with a 95 % CI from the two medians' CIs (log-normal). */
export function ratioFromCis(b: CheckLatency, c: CheckLatency): { ratio: number; ci95: [number, number] } {
  const se = (l: CheckLatency): number => (Math.log(l.ci95[1]) - Math.log(l.ci95[0])) / (2 * 1.96)
  const ratio = c.p50 / b.p50
  const s = Math.sqrt(se(b) ** 2 + se(c) ** 2)
  return { ratio, ci95: [ratio * Math.exp(-1.96 * s), ratio * Math.exp(1.96 * s)] }
}

function latencyItem(b: CheckLatency | null, c: CheckLatency | null, maxPct: number): CheckItem {
  if (!b || !c) {
    return { limit: 'latency', outcome: 'skip', baseline: b?.p50 ?? null, candidate: c?.p50 ?? null, text: `latency: not compared (${b ? 'the candidate' : 'the baseline'} has no benchmark)` }
  }
  const bootstrap = b.samplesUs !== undefined && c.samplesUs !== undefined && b.samplesUs.length > 1 && c.samplesUs.length > 1
  const { ratio, ci95 } = bootstrap ? compareSamples(b.samplesUs as ArrayLike<number>, c.samplesUs as ArrayLike<number>, maxPct / 100) : ratioFromCis(b, c)
  const fail = ci95[0] > 1 + maxPct / 100
  const how = bootstrap ? '' : ', CI from the medians\' CIs'
  const figures = `p50 ${formatDuration(c.p50)} vs ${formatDuration(b.p50)} = ${ratio.toFixed(3)}× (95 % CI ${ci95[0].toFixed(3)}–${ci95[1].toFixed(3)}${how})`
  return {
    limit: 'latency',
    outcome: fail ? 'fail' : 'pass',
    baseline: b.p50,
    candidate: c.p50,
    ratio,
    ci95,
    method: bootstrap ? 'bootstrap' : 'from-ci',
    text: fail
      ? `latency: slower by more than the ${maxPct} % allowed: ${figures}`
      : `latency: within ${maxPct} %: ${figures}`,
  }
}

function accuracyItem(b: CheckSide, c: CheckSide, maxPt: number): CheckItem {
  if (b.top1 === null || c.top1 === null) {
    return { limit: 'accuracy', outcome: 'skip', baseline: b.top1, candidate: c.top1, text: `accuracy: not compared (${b.top1 === null ? 'the baseline' : 'the candidate'} has no accuracy run)` }
  }
  const drop = (b.top1 - c.top1) * 100
  const fail = drop > maxPt + 1e-9
  const figures = `top-1 ${formatPercent(c.top1, 2)} vs ${formatPercent(b.top1, 2)} (${drop > 0 ? `−${drop.toFixed(2)}` : `+${(-drop).toFixed(2)}`} pt)${b.dataset ? ` on ${b.dataset}` : ''}`
  return {
    limit: 'accuracy',
    outcome: fail ? 'fail' : 'pass',
    baseline: b.top1,
    candidate: c.top1,
    ratio: -drop,
    text: fail ? `accuracy: dropped more than the ${maxPt} pt allowed: ${figures}` : `accuracy: within ${maxPt} pt: ${figures}`,
  }
}

function sizeItem(b: number | null, c: number | null, maxPct: number): CheckItem {
  if (b === null || c === null || b <= 0) {
    return { limit: 'size', outcome: 'skip', baseline: b, candidate: c, text: 'size: not compared (the file size of one side is unknown)' }
  }
  const growth = ((c - b) / b) * 100
  const fail = growth > maxPct + 1e-9
  const figures = `${formatBytes(c)} vs ${formatBytes(b)} (${growth >= 0 ? '+' : ''}${growth.toFixed(2)} %, ${c - b >= 0 ? '+' : ''}${c - b} B)`
  return { limit: 'size', outcome: fail ? 'fail' : 'pass', baseline: b, candidate: c, ratio: c / b, text: fail ? `size: grew more than the ${maxPct} % allowed: ${figures}` : `size: within ${maxPct} %: ${figures}` }
}

/** The side as reported: figures without the (long) sample list. */
function strip(s: CheckSide): CheckReport['baseline'] {
  if (!s.latency) return { ...s, latency: null }
  const { p50, ci95, count } = s.latency
  return { ...s, latency: { p50, ci95, count } }
}

export function runCheck(baseline: CheckSide, candidate: CheckSide, limits: CheckLimits = DEFAULT_CHECK_LIMITS): CheckReport {
  const items = [
    latencyItem(baseline.latency, candidate.latency, limits.maxSlowdownPct),
    accuracyItem(baseline, candidate, limits.maxAccuracyDropPt),
    sizeItem(baseline.sizeBytes, candidate.sizeBytes, limits.maxSizeGrowthPct),
  ]
  const notes: string[] = []
  if (baseline.device && candidate.device && baseline.device !== candidate.device) {
    notes.push(`the baseline ran on ${baseline.device}, the candidate on ${candidate.device}: the latency ratio compares two devices`)
  }
  if (items[0]?.method === 'from-ci') notes.push('no latency samples on one side: the ratio\'s CI comes from the two medians\' CIs')
  return { ok: items.every((i) => i.outcome !== 'fail'), limits, baseline: strip(baseline), candidate: strip(candidate), items, notes }
}
