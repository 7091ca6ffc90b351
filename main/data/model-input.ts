/**
 * What an image classifier's input and output tensors say about the data it wants, and the checks
 * that stop an evaluation whose numbers would mean nothing (DATASET_MISMATCH).
 */
import { StudioError } from '../../common/errors.js'
import type { PreprocessSpec, TensorInfo } from '../../common/types.js'
import type { Dataset } from './dataset.js'

export { formatShape, imageInputGeometry, type InputGeometry } from '../../common/image-input.js'
import { formatShape, imageInputGeometry } from '../../common/image-input.js'

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
        `'${input.name}' is ${formatShape(input.shape)}. The model card's preprocessing belongs to ` +
        'another model: fix the card, or remove it to derive preprocessing from the model.',
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
  output: TensorInfo
  dataset: Dataset
  spec: PreprocessSpec
  /** Class names from the model card, when it has them. */
  cardClasses?: string[]
}

/**
 * Throws DATASET_MISMATCH when evaluating this model on this dataset would give meaningless
 * numbers. Resizing and grey↔RGB conversion are allowed; a different label set is not.
 */
export function checkCompatibility(c: CompatibilityInput): void {
  // Devices convert float32 batches to float16 where the model wants it; integer inputs would
  // need the model's own quantization parameters, which preprocessing does not know.
  if (!['float32', 'float16', 'unknown'].includes(c.input.dtype)) {
    throw new StudioError(
      'MODEL_UNSUPPORTED',
      `Model input '${c.input.name}' is ${c.input.dtype}; evaluation feeds float tensors. ` +
        'Export the model with a float32 input (QDQ-quantized models keep float32 I/O).',
    )
  }
  imageInputGeometry(c.input)
  checkSpecFitsInput(c.spec, c.input)
  const classes = outputClassCount(c.output)
  if (classes !== null && classes !== c.dataset.classes.length) {
    throw classCountMismatch(
      c.dataset,
      classes,
      `Model output '${c.output.name}' ${formatShape(c.output.shape)}`,
    )
  }
  const names = c.cardClasses
  if (names !== undefined && names.length === c.dataset.classes.length) {
    const differ = names.findIndex((n, i) => n.toLowerCase() !== c.dataset.classes[i]?.toLowerCase())
    if (differ >= 0) {
      throw new StudioError(
        'DATASET_MISMATCH',
        `The model was trained on other classes: its class ${differ} is '${names[differ]}' but ` +
          `${c.dataset.name}'s is '${c.dataset.classes[differ]}' (model input ` +
          `${formatShape(c.input.shape)}, dataset ${c.dataset.height}×${c.dataset.width}×` +
          `${c.dataset.channels}). Evaluate it on the dataset named in its model card.`,
      )
    }
  }
}
