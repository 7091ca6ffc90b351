/**
 * Which model on which board: ranking measured (model, variant) pairs of one device by top-1 under
 * latency / size / memory / accuracy constraints. Pure functions over candidates the engine has
 * already gathered (main/recommend/), so the CLI, the API and the tests rank the same way.
 *
 * Rules (docs/measurement.md § Recommendations):
 * - A candidate is ranked only when both its accuracy and its latency on the device are measured;
 *   the others are listed as unmeasured (`recommend --fill` measures them).
 * - Latency constraints use the median (p50) unless the caller asks for p90.
 * - Order: top-1 descending, then latency, size and model id ascending (a stable, total order).
 * - Rejected candidates name each broken constraint and by how much. With a choice, the best few
 *   rejected by the same order are listed (what the constraints cost); with none, the closest
 *   misses: fewest broken constraints, then the smallest largest overshoot.
 */
import { formatBytes, formatDuration, formatInteger, formatPercent } from './format.js'

export type LatencyStat = 'p50' | 'p90'

/** Where a memory figure comes from; anything but 'measured'/'firmware' is an estimate. */
export type MemorySource = 'measured' | 'firmware' | 'estimate'

export interface Constraints {
  maxLatencyUs?: number
  maxSizeBytes?: number
  maxMemoryBytes?: number
  /** Minimum top-1, a fraction 0..1. */
  minTop1?: number
  /** Which latency figure the latency constraint reads; default 'p50' (the median). */
  latencyStat?: LatencyStat
}

/** One measured (model, variant) pair on the device, as the engine found it. */
export interface Candidate {
  modelId: number
  modelName: string
  family: string | null
  /** Variant kind: fp32, fp16, int8, pruned, … */
  variant: string
  parentId: number | null
  top1: number | null
  /** Samples the accuracy was computed over, and on which dataset/split. */
  evalCount: number | null
  dataset: string | null
  latencyP50Us: number | null
  latencyP90Us: number | null
  /** The model file's bytes. */
  sizeBytes: number | null
  memoryBytes: number | null
  memorySource: MemorySource | null
  benchRunId: number | null
  evalRunId: number | null
}

export type ConstraintKey = 'latency' | 'size' | 'memory' | 'top1'

export interface BrokenConstraint {
  constraint: ConstraintKey
  /** The limit as given (µs, bytes, or a top-1 fraction). */
  limit: number
  actual: number
  /** How far past the limit, in the limit's unit (always positive). */
  excess: number
  /** excess / limit. */
  relative: number
  /** "latency p50 6.20 ms > 5.00 ms (+24.0 %)". */
  text: string
}

/** A ranked pair with the figures that decided it and the runs they come from. */
export interface RecommendedModel {
  modelId: number
  modelName: string
  family: string | null
  variant: string
  top1: number
  /** The latency figure the constraints read (see `latencyStat`), µs. */
  latencyUs: number
  latencyP50Us: number | null
  latencyP90Us: number | null
  sizeBytes: number | null
  memoryBytes: number | null
  memorySource: MemorySource | null
  /** True unless the memory figure was measured or reported by the firmware. */
  memoryEstimate: boolean
  dataset: string | null
  evalCount: number | null
  /** The bench and eval runs the figures come from. */
  runIds: number[]
}

export interface RejectedModel extends RecommendedModel {
  brokenConstraints: BrokenConstraint[]
}

export interface UnmeasuredModel {
  modelId: number
  modelName: string
  variant: string
  /** What is not measured on this device (or not known for a constraint that needs it). */
  missing: ('latency' | 'accuracy' | 'size' | 'memory')[]
}

export interface Recommendation {
  device: string
  constraints: Constraints
  latencyStat: LatencyStat
  choice: RecommendedModel | null
  /** Runners-up that also meet every constraint, best first. */
  alternatives: RecommendedModel[]
  rejected: RejectedModel[]
  unmeasured: UnmeasuredModel[]
  counts: { candidates: number; ranked: number; meeting: number; rejected: number; unmeasured: number }
  /** Sentences saying why the choice is the choice (or why there is none). */
  why: string[]
}

export interface RankOptions {
  alternatives?: number
  rejected?: number
}

const isNum = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x)

export function latencyOf(c: Candidate, stat: LatencyStat): number | null {
  return stat === 'p90' ? c.latencyP90Us : c.latencyP50Us
}

/** "+24.0 %" past the limit; from twice the limit on, "18× the limit" reads better. */
function overText(relative: number): string {
  const times = relative + 1
  if (times < 2) return `+${formatPercent(relative)}`
  return `${times >= 100 ? Math.round(times) : times.toFixed(1)}× the limit`
}

/** Every constraint the candidate breaks, with how far past the limit it lies. */
export function brokenConstraints(c: Candidate, k: Constraints): BrokenConstraint[] {
  const stat = k.latencyStat ?? 'p50'
  const out: BrokenConstraint[] = []
  const over = (constraint: ConstraintKey, limit: number, actual: number, text: (a: string, l: string) => string, fmt: (x: number) => string): void => {
    const excess = constraint === 'top1' ? limit - actual : actual - limit
    if (excess <= 0) return
    out.push({ constraint, limit, actual, excess, relative: excess / limit, text: `${text(fmt(actual), fmt(limit))} (${constraint === 'top1' ? `−${(excess * 100).toFixed(2)} pt` : overText(excess / limit)})` })
  }
  const lat = latencyOf(c, stat)
  if (isNum(k.maxLatencyUs) && isNum(lat)) over('latency', k.maxLatencyUs, lat, (a, l) => `latency ${stat} ${a} > ${l}`, formatDuration)
  if (isNum(k.maxSizeBytes) && isNum(c.sizeBytes)) over('size', k.maxSizeBytes, c.sizeBytes, (a, l) => `size ${a} > ${l}`, formatBytes)
  if (isNum(k.maxMemoryBytes) && isNum(c.memoryBytes)) {
    const label = c.memorySource === 'estimate' ? 'memory (estimate)' : 'memory'
    over('memory', k.maxMemoryBytes, c.memoryBytes, (a, l) => `${label} ${a} > ${l}`, formatBytes)
  }
  if (isNum(k.minTop1) && isNum(c.top1)) over('top1', k.minTop1, c.top1, (a, l) => `top-1 ${a} < ${l}`, (x) => formatPercent(x, 2))
  return out
}

/** What a candidate lacks to be judged under these constraints. */
export function missingFigures(c: Candidate, k: Constraints): UnmeasuredModel['missing'] {
  const missing: UnmeasuredModel['missing'] = []
  if (!isNum(latencyOf(c, k.latencyStat ?? 'p50'))) missing.push('latency')
  if (!isNum(c.top1)) missing.push('accuracy')
  if (isNum(k.maxSizeBytes) && !isNum(c.sizeBytes)) missing.push('size')
  if (isNum(k.maxMemoryBytes) && !isNum(c.memoryBytes)) missing.push('memory')
  return missing
}

/** The ranking order: top-1 desc, then latency, size, model id asc. Negative = `a` ranks first. */
export function compareCandidates(a: Candidate, b: Candidate, stat: LatencyStat = 'p50'): number {
  // Missing figures sort last; Infinity − Infinity is NaN, which is falsy and falls through.
  const num = (x: number | null): number => (isNum(x) ? x : Number.POSITIVE_INFINITY)
  const top1 = (c: Candidate): number => (isNum(c.top1) ? c.top1 : Number.NEGATIVE_INFINITY)
  return (
    top1(b) - top1(a) ||
    num(latencyOf(a, stat)) - num(latencyOf(b, stat)) ||
    num(a.sizeBytes) - num(b.sizeBytes) ||
    a.modelId - b.modelId
  )
}

function toRecommended(c: Candidate, stat: LatencyStat): RecommendedModel {
  return {
    modelId: c.modelId,
    modelName: c.modelName,
    family: c.family,
    variant: c.variant,
    top1: c.top1 ?? Number.NaN,
    latencyUs: latencyOf(c, stat) ?? Number.NaN,
    latencyP50Us: c.latencyP50Us,
    latencyP90Us: c.latencyP90Us,
    sizeBytes: c.sizeBytes,
    memoryBytes: c.memoryBytes,
    memorySource: c.memorySource,
    memoryEstimate: c.memorySource !== 'measured' && c.memorySource !== 'firmware',
    dataset: c.dataset,
    evalCount: c.evalCount,
    runIds: [c.benchRunId, c.evalRunId].filter(isNum),
  }
}

/** Closest misses first: fewest broken constraints, then the smallest largest overshoot. */
function closeness(a: RejectedModel, b: RejectedModel): number {
  const worst = (r: RejectedModel): number => Math.max(...r.brokenConstraints.map((x) => x.relative))
  return a.brokenConstraints.length - b.brokenConstraints.length || worst(a) - worst(b)
}

export function recommend(device: string, candidates: readonly Candidate[], k: Constraints, opts: RankOptions = {}): Recommendation {
  const stat = k.latencyStat ?? 'p50'
  const unmeasured: UnmeasuredModel[] = []
  const meeting: Candidate[] = []
  const rejected: RejectedModel[] = []
  for (const c of [...candidates].sort((a, b) => compareCandidates(a, b, stat))) {
    const missing = missingFigures(c, k)
    if (missing.length > 0) {
      unmeasured.push({ modelId: c.modelId, modelName: c.modelName, variant: c.variant, missing })
      continue
    }
    const broken = brokenConstraints(c, k)
    if (broken.length === 0) meeting.push(c)
    else rejected.push({ ...toRecommended(c, stat), brokenConstraints: broken })
  }
  const [first, ...rest] = meeting
  const choice = first ? toRecommended(first, stat) : null
  const shownRejected = (choice ? rejected : [...rejected].sort(closeness)).slice(0, opts.rejected ?? 5)
  const rec: Recommendation = {
    device,
    constraints: { ...k, latencyStat: stat },
    latencyStat: stat,
    choice,
    alternatives: rest.slice(0, opts.alternatives ?? 3).map((c) => toRecommended(c, stat)),
    rejected: shownRejected,
    unmeasured,
    counts: {
      candidates: candidates.length,
      ranked: meeting.length + rejected.length,
      meeting: meeting.length,
      rejected: rejected.length,
      unmeasured: unmeasured.length,
    },
    why: [],
  }
  rec.why = explain(rec, rejected)
  return rec
}

/** The constraints as one phrase: "latency p50 ≤ 5.00 ms, size ≤ 256 KiB". */
export function describeConstraints(k: Constraints): string {
  const parts: string[] = []
  if (isNum(k.maxLatencyUs)) parts.push(`latency ${k.latencyStat ?? 'p50'} ≤ ${formatDuration(k.maxLatencyUs)}`)
  if (isNum(k.maxSizeBytes)) parts.push(`size ≤ ${formatBytes(k.maxSizeBytes)}`)
  if (isNum(k.maxMemoryBytes)) parts.push(`memory ≤ ${formatBytes(k.maxMemoryBytes)}`)
  if (isNum(k.minTop1)) parts.push(`top-1 ≥ ${formatPercent(k.minTop1, 2)}`)
  return parts.length > 0 ? parts.join(', ') : 'no constraints'
}

export function variantLabel(m: { modelName: string; variant: string }): string {
  return `${m.modelName} (${m.variant})`
}

function explain(rec: Recommendation, allRejected: readonly RejectedModel[]): string[] {
  const { choice, counts } = rec
  const stat = rec.latencyStat === 'p50' ? 'median (p50)' : 'p90'
  const lines: string[] = []
  const constraints = describeConstraints(rec.constraints)
  if (counts.ranked === 0) {
    lines.push(
      counts.unmeasured > 0
        ? `Nothing on ${rec.device} has both a latency and an accuracy run yet (${counts.unmeasured} variant(s) unmeasured): fill the gaps (--fill), or bench and eval them.`
        : `No runs on ${rec.device} yet: bench and eval models there first, or name candidates and fill the gaps (--fill).`,
    )
    return lines
  }
  if (!choice) {
    lines.push(`None of the ${counts.ranked} measured variant(s) on ${rec.device} meets ${constraints}; the closest misses are listed with what they break.`)
  } else {
    lines.push(
      constraints === 'no constraints'
        ? `Highest top-1 of the ${counts.ranked} measured variant(s) on ${rec.device} (no limits given).`
        : `Highest top-1 of the ${counts.meeting} measured variant(s) on ${rec.device} meeting ${constraints} (of ${counts.ranked} measured).`,
    )
    const tied = rec.alternatives[0]
    if (tied && tied.top1 === choice.top1) {
      lines.push(`Tied on top-1 with ${variantLabel(tied)}: the lower ${rec.latencyStat} latency decides (then the smaller file).`)
    }
    const better = allRejected.filter((r) => r.top1 > choice.top1)
    if (better.length > 0) {
      const b = better[0] as RejectedModel
      lines.push(`${better.length} variant(s) with higher top-1 break a constraint; the best, ${variantLabel(b)} at ${formatPercent(b.top1, 2)}: ${b.brokenConstraints.map((x) => x.text).join('; ')}.`)
    }
    const acc = choice.evalCount !== null ? ` over ${formatInteger(choice.evalCount)} samples` : ''
    lines.push(`Latency is the ${stat} of run #${choice.runIds[0] ?? '?'}; top-1 from run #${choice.runIds[1] ?? '?'}${choice.dataset ? ` on ${choice.dataset}` : ''}${acc}.`)
    if (choice.memoryBytes !== null && choice.memoryEstimate) {
      lines.push('Memory is an estimate (static peak activations + weights): this device does not report memory.')
    }
  }
  if (counts.unmeasured > 0) lines.push(`${counts.unmeasured} variant(s) lack a latency or accuracy run on ${rec.device} and were not ranked; filling the gaps (--fill) measures them.`)
  return lines
}
