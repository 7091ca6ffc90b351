/**
 * Dataset → preprocessed `Batch`es for Device.evaluate. Reading of the next batch overlaps the
 * device's work on the current one, so decoding (ImageFolder) hides behind inference.
 */
import { StudioError } from '../../common/errors.js'
import type { Dim, PreprocessSpec } from '../../common/types.js'
import type { Batch } from '../../devices/device.js'
import type { Dataset, RawImage } from './dataset.js'
import { makePreprocessor, sampleElements } from './preprocess.js'
import { makeRawConverter } from './raw-bytes.js'

/** Largest batch tensor chooseBatchSize aims for: fits caches and the IPC of a child runner. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024
const DEFAULT_BATCH = 100

/**
 * The batch size to evaluate with: the model's own when its batch dimension is fixed; otherwise
 * 100, fewer for big inputs so one batch tensor stays ≤ 8 MB.
 */
export function chooseBatchSize(modelInputShape: readonly Dim[]): number {
  const first = modelInputShape[0]
  if (typeof first === 'number' && first > 0) return first
  let elements = 1
  for (const d of modelInputShape.slice(1)) {
    // A symbolic image size: assume a large (224×224-class) dimension rather than a small one.
    elements *= typeof d === 'number' && d > 0 ? d : 224
  }
  return Math.max(1, Math.min(DEFAULT_BATCH, Math.floor(MAX_BATCH_BYTES / (4 * elements))))
}

export interface BatchOptions {
  /** Evaluate only the first `limit` samples. */
  limit?: number
  signal?: AbortSignal
  /**
   * For models with a fixed batch size: pad the last, short batch with zero samples up to this
   * size. Batch.count then includes the padding; the caller drops the extra predictions.
   */
  padTo?: number
  /** Also give each batch the samples' raw uint8 HWC bytes (`Batch.raw`), for serial boards. */
  raw?: boolean
}

function cancelled(): StudioError {
  return new StudioError('CANCELLED', 'Evaluation cancelled.')
}

/** Number of samples batches() yields for `dataset` and `limit` (before padding). */
export function evaluatedCount(dataset: Dataset, limit?: number): number {
  if (limit === undefined) return dataset.count
  if (!Number.isInteger(limit) || limit < 1) {
    throw new StudioError('BAD_INPUT', `The sample limit must be a positive whole number, got ${limit}.`)
  }
  return Math.min(limit, dataset.count)
}

/** Preprocessed batches of `batchSize` samples, in dataset order. */
export async function* batches(
  dataset: Dataset,
  spec: PreprocessSpec,
  batchSize: number,
  opts: BatchOptions = {},
): AsyncGenerator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new StudioError('BAD_INPUT', `The batch size must be a positive whole number, got ${batchSize}.`)
  }
  const total = evaluatedCount(dataset, opts.limit)
  const per = sampleElements(spec)
  const sampleDims =
    spec.layout === 'NCHW'
      ? [spec.channels, spec.height, spec.width]
      : [spec.height, spec.width, spec.channels]
  const preprocess = makePreprocessor(spec)
  const toRaw = opts.raw === true ? makeRawConverter(spec) : null
  const rawSize = spec.height * spec.width * spec.channels
  const size = {
    height: spec.height,
    width: spec.width,
    channels: spec.channels,
    ...(spec.resize ? { method: spec.resize } : {}),
    ...(spec.resizeMode ? { mode: spec.resizeMode } : {}),
  }
  const readAt = (start: number): Promise<RawImage[]> =>
    dataset.read(start, Math.min(batchSize, total - start), { size, signal: opts.signal })
  let pending = total > 0 ? readAt(0) : null
  for (let start = 0; start < total && pending !== null; start += batchSize) {
    const images = await pending
    const nextStart = start + batchSize
    pending = nextStart < total ? readAt(nextStart) : null
    // A rejected prefetch is awaited on the next turn; mark it handled so an early exit is quiet.
    pending?.catch(() => undefined)
    if (opts.signal?.aborted === true) throw cancelled()
    const count = Math.max(images.length, opts.padTo ?? 0)
    // A fresh buffer per batch: the device may still hold the previous one (IPC, async run).
    const data = new Float32Array(count * per)
    for (let i = 0; i < images.length; i++) preprocess(images[i] as RawImage, data, i * per)
    const batch: Batch = { offset: start, count, data, dims: [count, ...sampleDims] }
    if (toRaw !== null) {
      batch.raw = images.map((img) => toRaw(img))
      while (batch.raw.length < count) batch.raw.push(new Uint8Array(rawSize))
    }
    yield batch
  }
}
