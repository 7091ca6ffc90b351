/**
 * Evaluation pipeline of the local device: batches stream to the runner while the parent already
 * pulls (reads, preprocesses) the next one, with at most two batches in flight, so the runner
 * always has work queued and the parent's preparation overlaps inference.
 */
import { StudioError } from '../../common/errors.js'
import type { Batch, EvaluateHooks, Predictions } from '../device.js'
import type { SessionEvent } from '../session/protocol.js'
import type { RunnerProcess } from './runner-process.js'

const IN_FLIGHT = 2

/** A subarray would clone its whole backing buffer over IPC; send only the bytes of the batch. */
function ownBuffer(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice()
}

/** A batch whose data, dims and offset agree with each other and with the announced total. */
export function checkBatch(b: Batch, total: number): void {
  const per = b.dims.slice(1).reduce((x, y) => x * y, 1)
  if (b.dims[0] !== b.count || b.data.length !== b.count * per) {
    throw new StudioError(
      'BAD_INPUT',
      `Batch at ${b.offset}: data of ${b.data.length} values does not match dims [${b.dims.join(', ')}] and count ${b.count}`,
    )
  }
  if (b.offset < 0 || b.offset + b.count > total) {
    throw new StudioError(
      'DATASET_MISMATCH',
      `Batch at ${b.offset} (+${b.count}) lies outside the ${total} samples announced`,
    )
  }
}

interface Collector {
  scores: Float32Array | null
  classes: number
  seen: number
  inferUs: number
}

export async function runEvaluation(
  proc: RunnerProcess,
  batches: AsyncIterable<Batch>,
  total: number,
  hooks: EvaluateHooks,
): Promise<Predictions> {
  const c: Collector = { scores: null, classes: 0, seen: 0, inferUs: 0 }
  let lastProgress = 0
  const onResult = (m: SessionEvent): void => {
    if (m.event !== 'result') return
    if (!c.scores) {
      c.classes = m.classes
      c.scores = new Float32Array(total * m.classes)
    }
    if (m.classes !== c.classes)
      throw new StudioError(
        'DEVICE_ERROR',
        `Output width changed from ${c.classes} to ${m.classes} between batches`,
      )
    c.scores.set(m.scores, m.offset * c.classes)
    hooks.onScores?.(m.offset, c.scores.subarray(m.offset * c.classes, (m.offset + m.count) * c.classes), c.classes)
    c.seen += m.count
    c.inferUs += m.inferUs
    const now = Date.now()
    if (now - lastProgress >= 100 || c.seen === total) {
      lastProgress = now
      hooks.onProgress?.({ phase: 'accuracy', done: c.seen, total, fraction: total > 0 ? c.seen / total : 1 })
    }
  }
  const runOne = async (b: Batch): Promise<void> => {
    const inputs = { kind: 'inline' as const, offset: b.offset, count: b.count, dims: [...b.dims], data: ownBuffer(b.data) }
    const output = hooks.output !== undefined ? { output: hooks.output } : {}
    await proc.request({ op: 'eval', inputs, ...output }, onResult, hooks.signal)
  }

  const inFlight: Promise<void>[] = []
  try {
    for await (const b of batches) {
      if (hooks.signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
      checkBatch(b, total)
      const p = runOne(b)
      // Observed later in order; this only keeps a failure from being reported as unhandled meanwhile.
      p.catch(() => undefined)
      inFlight.push(p)
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift()
    }
    await Promise.all(inFlight)
  } catch (e) {
    // Settle the rest before rethrowing so no reply arrives after the caller has moved on.
    await Promise.allSettled(inFlight)
    // A cancel stops the runner whether it came mid-request (withAbort kills it) or between two
    // batches, so a cancelled evaluation always ends the same way.
    if (e instanceof StudioError && e.code === 'CANCELLED') await proc.kill()
    throw e
  }
  if (c.seen !== total) {
    throw new StudioError(
      'DATASET_MISMATCH',
      `Evaluation received ${c.seen} samples but ${total} were announced`,
    )
  }
  return {
    count: total,
    classes: c.classes,
    scores: c.scores ?? new Float32Array(0),
    inferSeconds: c.inferUs / 1e6,
  }
}
