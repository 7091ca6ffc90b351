/**
 * What a 4-D image input tensor says about layout and size. Pure, shared by the engine's
 * evaluation and the serial simulator (which converts received bytes with a model's preprocessing).
 */
import { StudioError } from './errors.js'
import type { Dim, TensorInfo } from './types.js'

export interface InputGeometry {
  layout: 'NCHW' | 'NHWC'
  channels: 1 | 3
  /** null when the dimension is symbolic (the model accepts several sizes). */
  height: number | null
  width: number | null
  /** Fixed batch size, or null when the batch dimension is dynamic (symbolic, -1 or 0). */
  batch: number | null
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`
}

function fixed(d: Dim | undefined): number | null {
  return typeof d === 'number' && d > 0 ? d : null
}

/**
 * Reads layout and size from a 4-D image input: [N, C, H, W] with C in {1, 3} is NCHW,
 * [N, H, W, C] with C in {1, 3} is NHWC (NCHW wins when both fit, as it is ONNX's convention).
 */
export function imageInputGeometry(input: TensorInfo): InputGeometry {
  const s = input.shape
  if (s.length !== 4) {
    throw new StudioError(
      'DATASET_MISMATCH',
      `Model input '${input.name}' has shape ${formatShape(s)}, not a 4-D image batch ` +
        '([N, C, H, W] or [N, H, W, C]); image datasets can only evaluate image classifiers.',
    )
  }
  const [n, a, b, c] = s
  if (a === 1 || a === 3) {
    return { layout: 'NCHW', channels: a, height: fixed(b), width: fixed(c), batch: fixed(n) }
  }
  if (c === 1 || c === 3) {
    return { layout: 'NHWC', channels: c, height: fixed(a), width: fixed(b), batch: fixed(n) }
  }
  throw new StudioError(
    'DATASET_MISMATCH',
    `Model input '${input.name}' has shape ${formatShape(s)}: neither dimension 1 (NCHW) nor ` +
      'dimension 3 (NHWC) is 1 or 3 channels, so it does not take grey or RGB images. ' +
      'Give the model a model card with its preprocessing, or export it with a fixed channel count.',
  )
}
