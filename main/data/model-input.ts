/**
 * What an image classifier's input and output tensors say about the data it wants, and the checks
 * that stop an evaluation whose numbers would mean nothing (DATASET_MISMATCH).
 */
import { StudioError } from '../../common/errors.js'
import type { PreprocessSpec, TensorInfo } from '../../common/types.js'
import type { Dataset } from './dataset.js'

export { formatShape, imageInputGeometry, type InputGeometry } from '../../common/image-input.js'
import { formatShape } from '../../common/image-input.js'

/** The per-sample tensor shape a spec produces, e.g. [1, 28, 28] (NCHW) or [28, 28, 1] (NHWC). */
export function specSampleShape(spec: PreprocessSpec): number[] {
  return spec.layout === 'NCHW'
    ? [spec.channels, spec.height, spec.width]
    : [spec.height, spec.width, spec.channels]
}

function checkSpecFitsInput(spec: PreprocessSpec, input: TensorInfo): void {
  const want = specSampleShape(spec)
  const have = input.shape.slice(1)
  const clash = want.some((d, i) => {
    const m = have[i]
    return typeof m === 'number' && m > 0 && m !== d
  })
  if (clash || have.length !== want.length) {
    throw new StudioError(
      'DATASET_MISMATCH',
      `The preprocessing makes ${spec.layout} samples of shape ${formatShape(want)}, but model input ` +
        `'${input.name}' is ${formatShape(input.shape)}. Fix the model's preprocessing (layout, size) ` +
        "with 'edgebench model set' or in the Models view.",
    )
  }
}

/** Number of classes the first output gives per sample (its last dimension), when fixed. */
export function outputClassCount(output: TensorInfo): number | null {
  const last = output.shape[output.shape.length - 1]
  return output.shape.length >= 2 && typeof last === 'number' && last > 0 ? last : null
}

export function classCountMismatch(dataset: Dataset, classes: number, what: string): StudioError {
  return new StudioError(
    'DATASET_MISMATCH',
    `${what} gives ${classes} class scores per sample, but ${dataset.name} (${dataset.split}) has ` +
      `${dataset.classes.length} classes (${dataset.classes.slice(0, 5).join(', ')}` +
      `${dataset.classes.length > 5 ? ', …' : ''}). Evaluate the model on the dataset it was ` +
      'trained for, or pick a model with a matching classifier head.',
  )
}

export interface CompatibilityInput {
  input: TensorInfo
  /** The classifier output (see chooseOutput). */
  output: TensorInfo
  dataset: Dataset
  spec: PreprocessSpec
  /** The model's class names in output order (its label file), when it has one. */
  labels?: string[]
}

/**
 * Throws when evaluating this model on this dataset would give meaningless numbers, and says how
 * dataset classes meet the model's outputs. Resizing and grey↔RGB conversion are allowed; a
 * different label set is not.
 */
export function checkCompatibility(c: CompatibilityInput): LabelMatch {
  if (!['float32', 'float16', 'unknown'].includes(c.input.dtype) && !(c.input.dtype === 'uint8' && c.spec.dtype === 'uint8')) {
    throw new StudioError(
      'MODEL_UNSUPPORTED',
      `Model input '${c.input.name}' is ${c.input.dtype}; evaluation feeds float32 tensors, or uint8 raw bytes to uint8 inputs. ` +
        'Export the model with a float32 input (QDQ-quantized models keep float32 I/O).',
    )
  }
  checkSpecFitsInput(c.spec, c.input)
  return matchLabels(c.labels ?? null, c.output, c.dataset)
}

export type LabelMatch = { by: 'index' } | { by: 'name'; outputs: number[] }

/** Class lists like ['0', '1', …] (an IDX folder without classes.txt) carry no names. */
function hasNames(list: readonly string[]): boolean {
  return !list.every((n, i) => n === String(i))
}

const norm = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '')

/**
 * How dataset classes meet the model's outputs: by name where both sides have names (the model's
 * label file against the dataset's class list), else by index, which needs equal counts. Any
 * mismatch is a DATASET_MISMATCH naming it, never a silently wrong accuracy.
 */
export function matchLabels(labels: string[] | null, output: TensorInfo, dataset: Dataset): LabelMatch {
  const classes = outputClassCount(output)
  const what = `Model output '${output.name}' ${formatShape(output.shape)}`
  if (labels !== null && classes !== null && labels.length !== classes) {
    throw new StudioError(
      'DATASET_MISMATCH',
      `The model's label file has ${labels.length} names but ${what} gives ${classes} scores per sample; give one name per output, in output order.`,
    )
  }
  if (labels === null || !hasNames(labels) || !hasNames(dataset.classes)) {
    const count = classes ?? labels?.length ?? null
    if (count !== null && count !== dataset.classes.length) throw classCountMismatch(dataset, count, what)
    return { by: 'index' }
  }
  const index = new Map<string, number>()
  labels.forEach((n, i) => {
    if (!index.has(norm(n))) index.set(norm(n), i)
  })
  const outputs = dataset.classes.map((n) => index.get(norm(n)) ?? -1)
  const missing = dataset.classes.filter((_, i) => outputs[i] === -1)
  if (missing.length > 0) {
    const list = (xs: string[]): string => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ', …' : ''}`
    throw new StudioError(
      'DATASET_MISMATCH',
      `${missing.length} of ${dataset.name}'s ${dataset.classes.length} classes (${list(missing)}) are not among the model's ` +
        `labels (${list(labels)}). Fix the label file, or evaluate the model on the dataset it was trained for.`,
    )
  }
  return { by: 'name', outputs }
}

/**
 * The output holding the class scores: the one named, else the only one, else the first shaped
 * [N, classes] (with `classes` equal to `wanted` when given, e.g. the label file's length).
 */
export function chooseOutput(outputs: readonly TensorInfo[], named: string | undefined, wanted?: number): TensorInfo {
  const list = (): string => outputs.map((o) => `${o.name} ${formatShape(o.shape)}`).join(', ')
  if (named !== undefined) {
    const o = outputs.find((x) => x.name === named)
    if (!o) throw new StudioError('BAD_INPUT', `The model has no output '${named}'; its outputs: ${list()}.`)
    return o
  }
  const first = outputs[0]
  if (first === undefined) throw new StudioError('MODEL_INVALID', 'The model has no outputs; it cannot be evaluated.')
  const scores = outputs.filter((o) => o.shape.length === 2 && outputClassCount(o) !== null)
  return scores.find((o) => wanted !== undefined && outputClassCount(o) === wanted) ?? scores[0] ?? first
}
