/**
 * Where a derivation's samples come from and how they are fed: the recipe's data, else the model's
 * dataset — its calibration or train split, never test (data/calibration-set.ts) — fed with the
 * preprocessing the studio resolved from the model's stored settings (CalibrationFeed), or the
 * default for its input when it sent none. INT8 and structured pruning both read them this way.
 */
import { StudioError } from '../../common/errors.js'
import type { PreprocessSpec, TensorInfo } from '../../common/types.js'
import type { Batch } from '../../devices/device.js'
import { batches } from '../data/batches.js'
import { openCalibrationSet } from '../data/calibration-set.js'
import type { Dataset } from '../data/dataset.js'
import { preprocessSpecFor } from '../data/preprocess.js'
import type { Parent } from './derive-parent.js'
import type { CalibrationFeed } from './derive.js'

const CALIBRATION_BATCH = 50

export interface SampleSource {
  data: Dataset
  pre: PreprocessSpec
  batchSize: number
}

/** The model's one float32 input, or a clear refusal (`what`: "quantized", "calibrated"…). */
export function floatInput(parent: Parent, what: string): TensorInfo {
  const input = parent.info.inputs[0]
  if (!input) throw new StudioError('MODEL_INVALID', `${parent.path} has no input.`)
  if (input.dtype !== 'float32') {
    throw new StudioError('BAD_INPUT', `${parent.path} takes ${input.dtype} input; only float32-input models can be ${what} here.`)
  }
  return input
}

/** The dataset to read: the recipe's, else the model's (BAD_INPUT when neither names one). */
export function calibrationName(calibration: string | undefined, feed: CalibrationFeed | null | undefined): string {
  const name = calibration ?? feed?.dataset
  if (!name) {
    throw new StudioError(
      'BAD_INPUT',
      "This model has no dataset set, so there is nothing to calibrate on. Pass --calibration <dataset name or image folder>, or set the model's dataset ('edgebench model set --dataset').",
    )
  }
  return name
}

export async function sampleSource(
  parent: Parent,
  calibration: string | undefined,
  feed: CalibrationFeed | null | undefined,
  what: string,
): Promise<SampleSource> {
  const input = floatInput(parent, what)
  const data = await openCalibrationSet(calibrationName(calibration, feed))
  const pre = feed?.spec ?? preprocessSpecFor(input)
  const batchSize = typeof input.shape[0] === 'number' && input.shape[0] > 0 ? input.shape[0] : CALIBRATION_BATCH
  return { data, pre, batchSize }
}

/** The first `limit` samples as batches (one pass; call again for another). */
export function sampleBatches(src: SampleSource, limit: number, signal?: AbortSignal): AsyncIterable<Batch> {
  return batches(src.data, src.pre, src.batchSize, { limit: Math.min(limit, src.data.count), ...(signal ? { signal } : {}) })
}
