/**
 * The flat row every exporter (HTML, CSV, JSON) writes: one model variant on one device, with the
 * figures of docs/measurement.md in raw units (µs, bytes, fractions). Formatting happens in the exporters.
 */
import { SOURCE_LABELS, describePreprocessing } from '../../common/preprocessing.js'
import type { BenchResult, DeviceInfo, EvalResult, InspectResult } from '../../common/types.js'

/** One result row of a report. Absent fields were not measured; they are never filled with zeros. */
export interface ReportRow {
  runId?: number
  model: string
  family?: string
  /** Variant kind: fp32, fp16, int8, pruned, … */
  variant: string
  device: string
  deviceKind?: DeviceInfo['kind']
  /** intraOpNumThreads the run used. */
  threads?: number
  latencyP50Us?: number
  latencyP90Us?: number
  /** Bootstrap 95 % CI of the median, µs. */
  latencyCi95?: [number, number]
  /** Coefficient of variation of the latency samples, a fraction. */
  cv?: number
  peakRssBytes?: number
  sessionCreateMs?: number
  firstInferenceUs?: number
  fileBytes?: number
  gzipBytes?: number
  params?: number
  macs?: number
  /** Static peak of live activations (liveness walk), bytes. */
  peakActivationBytes?: number
  /** Fractions 0..1. */
  top1?: number
  top5?: number
  /** Samples the accuracy was computed over. */
  evalCount?: number
  /** Display name with the split, e.g. "Fashion-MNIST test". */
  dataset?: string
  /** The dataset and split as the run named them ('fashion-mnist', 'test'), to evaluate the same again. */
  datasetName?: string
  split?: string
  /** How the accuracy's samples were made (describePreprocessing), with its source. */
  preprocessing?: string
  /** The model this variant was derived from, and how ("INT8 static · minmax · per-channel …"). */
  parent?: string
  recipe?: string
  /** The original model at the root of the lineage; rows are grouped by it. */
  group: string
  /** Parent's median / this median on the same device (> 1 = faster). */
  speedup?: number
  /** This top-1 minus the parent's, a fraction (−0.012 = 1.2 points worse). */
  top1Delta?: number
  /** This file size / the parent's. */
  sizeRatio?: number
  /**
   * The memory the trade-off chart uses: peak RSS measured on computers and Linux boards, the static
   * peak of live activations on MCUs (whose firmware rarely reports RSS); `memorySource` says which.
   */
  memoryBytes?: number
  memorySource?: 'rss' | 'activations'
  /** The runs behind the row: `runId` is the benchmark's when there is one, else the evaluation's. */
  benchRunId?: number
  evalRunId?: number
  /** When the newest of the row's runs finished (ISO 8601). */
  measuredAt?: string
  warnings: string[]
}

/** The parent's figures a variant is compared with, when the parent is not itself in the report. */
export interface ParentFigures {
  p50Us?: number
  top1?: number
  fileBytes?: number
}

/** What a caller knows about one model variant; any of the three results may be missing. */
export interface ResultItem {
  model: string
  family?: string
  /** Variant kind; guessed from the model name and weight dtypes when absent. */
  variant?: string
  /** Device label; defaults to the bench environment's name. */
  device?: string
  inspect?: InspectResult
  bench?: BenchResult
  eval?: EvalResult
  /** Lineage: the parent's name, the recipe (one line), the root original's name. */
  parent?: string
  recipe?: string
  group?: string
  /** The parent's figures from the store, used when the parent has no row on this device. */
  parentFigures?: ParentFigures
  measuredAt?: string
}

/** Display names of the bundled datasets; other names are shown as given. */
const DATASET_TITLES: Record<string, string> = {
  'fashion-mnist': 'Fashion-MNIST',
  mnist: 'MNIST',
  cifar10: 'CIFAR-10',
  'cifar-10': 'CIFAR-10',
  cifar100: 'CIFAR-100',
  imagenet: 'ImageNet',
}

function datasetLabel(ev: EvalResult): string {
  const title = DATASET_TITLES[ev.dataset.toLowerCase()] ?? ev.dataset
  return ev.split ? `${title} ${ev.split}` : title
}

/**
 * The variant kind when the caller did not say. The name is the stronger hint (a pruned model is
 * still float32); then the dominant weight dtype; float32 is ONNX's default.
 */
export function guessVariantKind(model: string, inspect?: Pick<InspectResult, 'paramsByDtype'> | null): string {
  const name = model.toLowerCase()
  if (/prun|sparse/.test(name)) return 'pruned'
  if (/int8|qdq|quant|u8s8|s8s8/.test(name)) return 'int8'
  if (/fp16|half/.test(name)) return 'fp16'
  if (inspect) {
    let best: { dtype: string; count: number } | undefined
    for (const [dtype, { count }] of Object.entries(inspect.paramsByDtype)) {
      if (!best || count > best.count) best = { dtype, count }
    }
    if (best?.dtype === 'int8' || best?.dtype === 'uint8') return 'int8'
    if (best?.dtype === 'float16') return 'fp16'
  }
  return 'fp32'
}

function benchFields(b: BenchResult): Partial<ReportRow> {
  const out: Partial<ReportRow> = {
    deviceKind: b.env.kind,
    threads: b.session.threads,
    latencyP50Us: b.latencyUs.p50,
    latencyP90Us: b.latencyUs.p90,
    latencyCi95: [b.latencyUs.ci95[0], b.latencyUs.ci95[1]],
    cv: b.latencyUs.cv,
    sessionCreateMs: b.sessionCreateMs,
    firstInferenceUs: b.firstInferenceUs,
  }
  if (b.memory.peakRssBytes !== null) out.peakRssBytes = b.memory.peakRssBytes
  return out
}

function inspectFields(i: InspectResult): Partial<ReportRow> {
  return {
    fileBytes: i.fileBytes,
    gzipBytes: i.gzipBytes,
    params: i.params,
    macs: i.macs,
    peakActivationBytes: i.peakActivationBytes,
  }
}

function evalFields(e: EvalResult): Partial<ReportRow> {
  const source = e.preprocessing.source ? ` (${SOURCE_LABELS[e.preprocessing.source]})` : ''
  return {
    top1: e.top1,
    top5: e.top5,
    evalCount: e.count,
    dataset: datasetLabel(e),
    datasetName: e.dataset,
    split: e.split,
    evalRunId: e.runId,
    preprocessing: `${describePreprocessing(e.preprocessing)}${source}`,
  }
}

/** Removes keys whose value is undefined so JSON and CSV show "not measured" uniformly. */
function compact(row: ReportRow): ReportRow {
  for (const key of Object.keys(row) as (keyof ReportRow)[]) {
    if (row[key] === undefined) delete row[key]
  }
  return row
}

function memoryFields(row: ReportRow): Partial<ReportRow> {
  if (row.deviceKind === 'serial') {
    return row.peakActivationBytes !== undefined ? { memoryBytes: row.peakActivationBytes, memorySource: 'activations' } : {}
  }
  return row.peakRssBytes !== undefined ? { memoryBytes: row.peakRssBytes, memorySource: 'rss' } : {}
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a !== undefined && b !== undefined && b > 0 ? a / b : undefined

/**
 * Speed-up, Δ top-1 and size ratio of every variant against its parent: the parent's row on the
 * same device when the report has one (same run conditions), else the figures the caller looked up.
 * Accuracy and size do not depend on the device, so any row of the parent serves for them.
 */
function addParentDeltas(rows: ReportRow[], items: readonly ResultItem[]): void {
  rows.forEach((row, i) => {
    if (!row.parent) return
    const same = rows.find((r) => r.model === row.parent && r.device === row.device)
    const any = rows.filter((r) => r.model === row.parent)
    const given = items[i]?.parentFigures ?? {}
    const p50 = same?.latencyP50Us ?? given.p50Us
    const top1 = same?.top1 ?? any.find((r) => r.top1 !== undefined)?.top1 ?? given.top1
    const file = any.find((r) => r.fileBytes !== undefined)?.fileBytes ?? given.fileBytes
    if (p50 !== undefined && row.latencyP50Us !== undefined && row.latencyP50Us > 0) row.speedup = p50 / row.latencyP50Us
    if (top1 !== undefined && row.top1 !== undefined) row.top1Delta = row.top1 - top1
    const size = ratio(row.fileBytes, file)
    if (size !== undefined) row.sizeRatio = size
  })
}

/**
 * Rows of one lineage together: groups in order of first appearance; within a group, device by
 * device (in order of first appearance), the original first, then its variants in the given order
 * (the caller orders them by derivation).
 */
export function orderByLineage(rows: readonly ReportRow[]): ReportRow[] {
  const groups = new Map<string, ReportRow[]>()
  for (const r of rows) groups.set(r.group, [...(groups.get(r.group) ?? []), r])
  const deviceRank = new Map<string, number>()
  for (const r of rows) if (!deviceRank.has(r.device)) deviceRank.set(r.device, deviceRank.size)
  const index = new Map(rows.map((r, i) => [r, i]))
  const key = (r: ReportRow): number[] => [deviceRank.get(r.device) ?? 0, r.parent ? 1 : 0, index.get(r) ?? 0]
  const cmp = (a: ReportRow, b: ReportRow): number => {
    const ka = key(a)
    const kb = key(b)
    return (ka[0] ?? 0) - (kb[0] ?? 0) || (ka[1] ?? 0) - (kb[1] ?? 0) || (ka[2] ?? 0) - (kb[2] ?? 0)
  }
  return [...groups.values()].flatMap((g) => [...g].sort(cmp))
}

/** Flattens inspect/bench/eval results into report rows, one per item, in the given order. */
export function rowsFromResults(items: readonly ResultItem[]): ReportRow[] {
  const rows = items.map((item) => {
    const runId = item.bench?.runId ?? item.eval?.runId
    const row: ReportRow = {
      runId,
      model: item.model,
      family: item.family,
      variant: item.variant ?? guessVariantKind(item.model, item.inspect),
      device: item.device ?? item.bench?.env.name ?? 'unknown device',
      ...(item.bench ? benchFields(item.bench) : {}),
      ...(item.inspect ? inspectFields(item.inspect) : {}),
      ...(item.eval ? evalFields(item.eval) : {}),
      parent: item.parent,
      recipe: item.recipe,
      group: item.group ?? item.parent ?? item.model,
      benchRunId: item.bench?.runId,
      evalRunId: item.eval?.runId,
      measuredAt: item.measuredAt,
      warnings: [...(item.bench?.warnings ?? []), ...(item.eval?.warnings ?? [])],
    }
    Object.assign(row, memoryFields(row))
    return row
  })
  addParentDeltas(rows, items)
  return rows.map(compact)
}
