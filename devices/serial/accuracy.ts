/**
 * Accuracy mode (docs/protocols.md §1): for each sample, upload its raw bytes (uint8 HWC), `infer 1 0`,
 * read `m-results-[…]`. Scores are handed on per sample as they arrive, so the caller can persist
 * them and a disconnect keeps what was received.
 */
import { StudioError } from '../../common/errors.js'
import type { Batch, EvaluateHooks, Predictions } from '../device.js'
import { withRecovery, type Board } from './board.js'

export interface AccuracyOptions {
  commandTimeoutMs: number
  /** How long the first (cold) sample may take; default the reference host's 30 s. */
  lineTimeoutMs?: number
}

export async function runAccuracy(
  board: Board,
  batches: AsyncIterable<Batch>,
  total: number,
  hooks: EvaluateHooks,
  o: AccuracyOptions,
): Promise<Predictions> {
  const sig = hooks.signal
  let scores: Float32Array | null = null
  let classes = 0
  let done = 0
  let boardUs = 0
  // The first inference may be slow (a cold board); later ones get 20× the slowest seen.
  let slowestUs = 0
  for await (const batch of batches) {
    const raw = batch.raw
    if (raw === undefined || raw.length < batch.count) {
      throw new StudioError('INTERNAL', 'A serial board needs raw input bytes; the batches carry none.')
    }
    for (let i = 0; i < batch.count; i++) {
      if (sig?.aborted) throw new StudioError('CANCELLED', 'Evaluation cancelled.')
      const bytes = raw[i] as Uint8Array
      const index = batch.offset + i
      const timeoutMs = slowestUs > 0 ? Math.ceil((slowestUs * 20) / 1000) + o.commandTimeoutMs : (o.lineTimeoutMs ?? 30_000)
      const r = await withRecovery(
        board,
        `Sample ${index}`,
        async () => {
          await board.loadInput(bytes, sig)
          const out = await board.infer(1, 0, timeoutMs, sig)
          if (out.results === null) {
            throw new StudioError(
              'INTERRUPTED',
              `The reply to infer 1 0% for sample ${index} had no m-results line.`,
            )
          }
          return out
        },
        sig,
      )
      const values = r.results as number[]
      // Accuracy does not need the board's clock; a broken one must not set the timeouts.
      const us = r.clockProblem === null ? r.elapsedUs : r.wallUs
      slowestUs = Math.max(slowestUs, us)
      boardUs += us
      if (scores === null) {
        classes = values.length
        if (classes === 0)
          throw new StudioError('DEVICE_ERROR', 'The board returned an empty m-results-[] line.')
        scores = new Float32Array(total * classes)
      } else if (values.length !== classes) {
        throw new StudioError(
          'DEVICE_ERROR',
          `The board returned ${values.length} scores for sample ${index}, ${classes} before; its output is inconsistent.`,
        )
      }
      const row = scores.subarray(index * classes, (index + 1) * classes)
      row.set(values)
      hooks.onScores?.(index, row, classes)
      done++
      hooks.onProgress?.({ phase: 'accuracy', done, total, fraction: total > 0 ? done / total : 1 })
    }
  }
  return { count: done, classes, scores: scores ?? new Float32Array(0), inferSeconds: boardUs / 1e6 }
}
