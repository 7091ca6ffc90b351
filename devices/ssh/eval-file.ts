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
import type { EvalBatchRef } from '../agent/protocol.js'
import type { Batch } from '../device.js'
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
