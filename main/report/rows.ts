/**
 * The flat row every exporter (HTML, CSV, JSON) writes: one model variant on one device, with the
 * figures of docs/measurement.md in raw units (µs, bytes, fractions). Formatting happens in the exporters.
 */
import type { BenchResult, DeviceInfo, EvalResult, InspectResult } from '../../common/types.js'

/** One result row of a report. Absent fields were not measured; they are never filled with zeros. */
export interface ReportRow {
  runId?: number
  model: string
  family?: string
  /** Variant kind: fp32, fp16, int8, pruned, … */
  variant: string
  /** The model a variant was derived from, and how (recipe, recovery, MACs target, calibration data). */
  parent?: string
  recipe?: string
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
  warnings: string[]
}

/** What a caller knows about one model variant; any of the three results may be missing. */
export interface ResultItem {
  model: string
  family?: string
  /** Variant kind; guessed from the model name and weight dtypes when absent. */
  variant?: string
  parent?: string
  /** How the variant was made, as one line (describeRecipe). */
  recipe?: string
  /** Device label; defaults to the bench environment's name. */
  device?: string
  inspect?: InspectResult
  bench?: BenchResult
  eval?: EvalResult
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
export function guessVariantKind(model: string, inspect?: InspectResult): string {
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
  return { top1: e.top1, top5: e.top5, evalCount: e.count, dataset: datasetLabel(e) }
}

/** Removes keys whose value is undefined so JSON and CSV show "not measured" uniformly. */
function compact(row: ReportRow): ReportRow {
  for (const key of Object.keys(row) as (keyof ReportRow)[]) {
    if (row[key] === undefined) delete row[key]
  }
  return row
}

/** Flattens inspect/bench/eval results into report rows, one per item, in the given order. */
export function rowsFromResults(items: readonly ResultItem[]): ReportRow[] {
  return items.map((item) => {
    const runId = item.bench?.runId ?? item.eval?.runId
    const row: ReportRow = {
      runId,
      model: item.model,
      family: item.family,
      variant: item.variant ?? guessVariantKind(item.model, item.inspect),
      parent: item.parent,
      recipe: item.recipe,
      device: item.device ?? item.bench?.env.name ?? 'unknown device',
      ...(item.bench ? benchFields(item.bench) : {}),
      ...(item.inspect ? inspectFields(item.inspect) : {}),
      ...(item.eval ? evalFields(item.eval) : {}),
      warnings: [...(item.bench?.warnings ?? [])],
    }
    return compact(row)
  })
}
