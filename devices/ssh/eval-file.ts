/**
 * Evaluation on a board reads its inputs from one file uploaded beforehand (content-addressed,
 * so the same preprocessed dataset is uploaded once): the batches are written here in order,
 * hashed on the way, and described by EvalBatchRefs the agent reads them back with.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StudioError } from '../../common/errors.js'
import type { EvalBatchRef, SessionEvent } from '../session/protocol.js'
import type { Batch, Predictions, ProgressCallback } from '../device.js'
import { checkBatch } from '../local/local-evaluate.js'

export interface EvalFile {
  path: string
  sha256: string
  size: number
  batches: EvalBatchRef[]
  /** Deletes the local file. */
  dispose(): Promise<void>
}

export async function writeEvalFile(
  batches: AsyncIterable<Batch>,
  total: number,
  signal?: AbortSignal,
): Promise<EvalFile> {
  const dir = await mkdtemp(join(tmpdir(), 'edgebench-eval-'))
  const path = join(dir, 'inputs.f32')
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true })
  const hash = createHash('sha256')
  const refs: EvalBatchRef[] = []
  let size = 0
  const fh = await open(path, 'w')
  try {
    for await (const b of batches) {
      if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
      checkBatch(b, total)
      const bytes = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)
      hash.update(bytes)
      await fh.write(bytes)
      size += bytes.length
      refs.push({ offset: b.offset, count: b.count, dims: [...b.dims] })
    }
  } catch (e) {
    await fh.close()
    await dispose()
    throw e
  }
  await fh.close()
  return { path, sha256: hash.digest('hex'), size, batches: refs, dispose }
}

/**
 * Gathers the agent's `result` events into Predictions. Events arrive inside the channel's data
 * handler, where throwing would crash the studio: a bad event is remembered and reported by
 * `finish()` instead.
 */
export function scoreCollector(
  total: number,
  onProgress?: ProgressCallback,
): { onEvent: (e: SessionEvent) => void; finish: () => Predictions } {
  let scores: Float32Array | null = null
  let classes = 0
  let seen = 0
  let inferUs = 0
  let last = 0
  let problem: StudioError | null = null
  const onEvent = (e: SessionEvent): void => {
    if (e.event !== 'result' || problem) return
    const s = e.scores
    if (!scores) {
      classes = e.classes
      scores = new Float32Array(total * classes)
    }
    if (
      e.classes !== classes ||
      (e.offset + e.count) * classes > scores.length ||
      s.length !== e.count * classes
    ) {
      problem = new StudioError(
        'DEVICE_ERROR',
        `The agent sent ${s.length} scores for samples ${e.offset}–${e.offset + e.count - 1} with ${e.classes} classes, which does not fit ${total} samples × ${classes} classes`,
      )
      return
    }
    scores.set(s, e.offset * classes)
    seen += e.count
    inferUs += e.inferUs
    const now = Date.now()
    if (now - last >= 100 || seen === total) {
      last = now
      onProgress?.({ phase: 'accuracy', done: seen, total, fraction: total > 0 ? seen / total : 1 })
    }
  }
  const finish = (): Predictions => {
    if (problem) throw problem
    if (seen !== total) {
      throw new StudioError(
        'DATASET_MISMATCH',
        `Evaluation received ${seen} samples but ${total} were announced`,
      )
    }
    return { count: total, classes, scores: scores ?? new Float32Array(0), inferSeconds: inferUs / 1e6 }
  }
  return { onEvent, finish }
}
