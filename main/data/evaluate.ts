/**
 * Accuracy of a deployed model on a dataset, computed from the device's own outputs
 * (docs/measurement.md § Accuracy): dataset → preprocess → device.evaluate → metrics.
 */
import { StudioError } from '../../common/errors.js'
import { accuracyMetrics, agreement } from '../../common/metrics.js'
import type { EvalResult, PreprocessSpec } from '../../common/types.js'
import type { Deployment, Device, Predictions, ProgressCallback } from '../../devices/device.js'
import { batches, chooseBatchSize, evaluatedCount } from './batches.js'
import type { Dataset } from './dataset.js'
import { chanceWarning } from './chance.js'
import { checkCompatibility, chooseOutput, classCountMismatch, type LabelMatch } from './model-input.js'

export interface EvaluateOptions {
  /** Default: the model's fixed batch size, else chooseBatchSize(). */
  batchSize?: number
  limit?: number
  onProgress?: ProgressCallback
  signal?: AbortSignal
  /** The model's class names in output order (its label file); matched to the dataset's by name. */
  labels?: string[]
  /** The output holding the class scores; default: the only one, else the first shaped [N, classes]. */
  output?: string
  /** Scores of samples as the device hands them over (persisted while the evaluation goes). */
  onScores?: (offset: number, scores: Float32Array, classes: number) => void
  /** Scores of a reference variant on the same samples, for agreement figures. */
  reference?: { name: string; scores: Float32Array }
}

export interface Evaluation {
  result: EvalResult
  /** Row-major [count × classes] scores, e.g. to serve as the reference of another variant. */
  scores: Float32Array
  classes: number
}

function modelIo(dep: Deployment, named: string | undefined, wanted: number | undefined): {
  input: NonNullable<Deployment['inputs'][0]>
  output: NonNullable<Deployment['outputs'][0]>
} {
  const input = dep.inputs[0]
  if (input === undefined || dep.outputs.length === 0) {
    throw new StudioError(
      'MODEL_INVALID',
      `${dep.model.name} has no input or no output; it cannot be evaluated.`,
    )
  }
  if (dep.inputs.length > 1) {
    throw new StudioError(
      'MODEL_UNSUPPORTED',
      `${dep.model.name} has ${dep.inputs.length} inputs; accuracy evaluation feeds a single image input.`,
    )
  }
  return { input, output: chooseOutput(dep.outputs, named, wanted) }
}

/** Scores with one column per dataset class: the model's columns picked (and ordered) by name. */
function remap(scores: Float32Array, classes: number, match: LabelMatch): { scores: Float32Array; classes: number } {
  if (match.by === 'index' || classes === 0) return { scores, classes }
  const width = match.outputs.length
  const rows = Math.floor(scores.length / classes)
  const out = new Float32Array(rows * width)
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < width; j++) out[i * width + j] = scores[i * classes + (match.outputs[j] as number)] as number
  }
  return { scores: out, classes: width }
}

function remapped(scores: Float32Array, classes: number, match: LabelMatch): [Float32Array, number] {
  const m = remap(scores, classes, match)
  return [m.scores, m.classes]
}

/** Like evaluateOn, and also returns the raw scores (for agreement with later variants). */
export async function evaluateWithScores(
  device: Device,
  dep: Deployment,
  dataset: Dataset,
  spec: PreprocessSpec,
  opts: EvaluateOptions = {},
): Promise<Evaluation> {
  const { input, output } = modelIo(dep, opts.output, opts.labels?.length ?? dataset.classes.length)
  const match = checkCompatibility({
    input,
    output,
    dataset,
    spec,
    ...(opts.labels ? { labels: opts.labels } : {}),
  })
  const first = input.shape[0]
  const fixedBatch = typeof first === 'number' && first > 0 ? first : null
  const batchSize = fixedBatch ?? opts.batchSize ?? chooseBatchSize(input.shape)
  const total = evaluatedCount(dataset, opts.limit)
  // A fixed batch > 1 cannot take a short last batch: pad it, then drop the padding's scores.
  const padded = fixedBatch !== null ? Math.ceil(total / fixedBatch) * fixedBatch : total
  const started = performance.now()
  const stream = batches(dataset, spec, batchSize, {
    limit: total,
    ...(fixedBatch !== null ? { padTo: fixedBatch } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(device.wantsRawInput === true ? { raw: true } : {}),
  })
  const onScores = opts.onScores
  const hooks = {
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    // Stored in dataset-class order, so a partial result reads like a finished one.
    ...(onScores ? { onScores: (offset: number, sc: Float32Array, k: number) => onScores(offset, ...remapped(sc, k, match)) } : {}),
    ...(output.name !== dep.outputs[0]?.name ? { output: output.name } : {}),
  }
  const pred = await device.evaluate(dep, stream, padded, hooks)
  const seconds = (performance.now() - started) / 1000
  const m = remap(pred.scores, pred.classes, match)
  const scores = checkedScores({ ...pred, scores: m.scores, classes: m.classes }, dep, dataset, total)
  const result = summarise(dep, dataset, spec, scores, m.classes, { output: output.name, labelMatch: match })
  result.throughput = seconds > 0 ? total / seconds : 0
  if (opts.reference !== undefined) {
    result.agreement = {
      reference: opts.reference.name,
      ...agreement(scores, opts.reference.scores, m.classes),
    }
  }
  return { result, scores, classes: m.classes }
}

/** The scores of the first `total` samples; throws when the device's output cannot be trusted. */
function checkedScores(pred: Predictions, dep: Deployment, dataset: Dataset, total: number): Float32Array {
  if (pred.classes !== dataset.classes.length) {
    throw classCountMismatch(dataset, pred.classes, `${dep.model.name} on ${dep.deviceName}`)
  }
  if (pred.count < total || pred.scores.length < total * pred.classes) {
    throw new StudioError(
      'DEVICE_ERROR',
      `${dep.deviceName} returned ${pred.count} predictions for ${total} samples; the evaluation is incomplete.`,
    )
  }
  return pred.scores.subarray(0, total * pred.classes)
}

export function summarise(
  dep: Deployment,
  dataset: Dataset,
  spec: PreprocessSpec,
  scores: Float32Array,
  classes: number,
  how: { output?: string; labelMatch?: LabelMatch } = {},
): EvalResult {
  const total = scores.length / classes
  const labels = new Uint16Array(total)
  for (let i = 0; i < total; i++) labels[i] = dataset.label(i)
  const m = accuracyMetrics(scores, classes, labels, dataset.classes)
  const result: EvalResult = {
    model: dep.model.name,
    dataset: dataset.name,
    split: dataset.split,
    top1: m.top1,
    top5: m.top5,
    count: m.count,
    perClass: m.perClass,
    confusion: m.confusion,
    preprocessing: spec,
    ...(how.output !== undefined ? { output: how.output } : {}),
    ...(how.labelMatch ? { labelMatch: how.labelMatch } : {}),
  }
  const warning = chanceWarning(result, dataset.classes.length)
  if (warning) result.warnings = [warning]
  return result
}

/**
 * Evaluates `dep` on `device` over `dataset` (first `limit` samples) and returns top-1, top-5,
 * per-class accuracy and the confusion matrix, with the preprocessing recorded.
 */
export async function evaluateOn(
  device: Device,
  dep: Deployment,
  dataset: Dataset,
  spec: PreprocessSpec,
  opts: EvaluateOptions = {},
): Promise<EvalResult> {
  return (await evaluateWithScores(device, dep, dataset, spec, opts)).result
}
