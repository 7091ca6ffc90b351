/**
 * Performance mode by the MLPerf Tiny rules (docs/protocols.md §1): a probe run estimates the time per
 * inference, N is chosen so a window lasts at least `windowSeconds` (10 s by the rules) and stays
 * under the reference host's 30 s line timeout; 5 windows on 5 different inputs, timed by the
 * board's own clock. The reported latency is the median of the per-window elapsed / N.
 */
import { StudioError } from '../../common/errors.js'
import type { Progress } from '../../common/types.js'
import { withRecovery, type Board, type InferOutcome } from './board.js'

/** The reference host gives up on a line after 30 s. */
export const LINE_TIMEOUT_US = 30e6
const MIN_INFERENCES = 10

export interface WindowFigures {
  /** Index of the input the window ran on. */
  input: number
  n: number
  elapsedUs: number
  latencyUs: number
  /** Inferences per second. */
  throughput: number
}

export interface PerformanceOutcome {
  windows: WindowFigures[]
  /** The probe's single inference (a first, cold run). */
  firstInferenceUs: number
  /** The per-inference estimate N was chosen from. */
  probeUs: number
  n: number
}

/**
 * Inferences per window: enough for `windowSeconds` with 5 % to spare, at least 10, and under 30 s
 * when the model allows (a model slower than 3 s per inference cannot meet both; 10 wins).
 */
export function planInferences(perInferenceUs: number, windowSeconds: number): number {
  const per = Math.max(perInferenceUs, 1)
  let n = Math.max(MIN_INFERENCES, Math.ceil((1.05 * windowSeconds * 1e6) / per))
  if (n * per >= 0.95 * LINE_TIMEOUT_US)
    n = Math.max(MIN_INFERENCES, Math.floor((0.95 * LINE_TIMEOUT_US) / per))
  return n
}

export interface PerformanceOptions {
  inputs: Uint8Array[]
  windowSeconds: number
  warmup: number
  commandTimeoutMs: number
  /** How long the cold probe inference may take; default the reference host's 30 s. */
  lineTimeoutMs?: number
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
  onWindow?: (w: WindowFigures) => void
}

function inferTimeoutMs(n: number, perUs: number, commandMs: number): number {
  return Math.ceil((n * perUs * 2) / 1000) + commandMs
}

/** A window timed by a stopped or backwards clock is invalid: the run fails rather than report it. */
function timed(r: InferOutcome, what: string): InferOutcome {
  if (r.clockProblem === null) return r
  throw new StudioError(
    'DEVICE_ERROR',
    `${what} is invalid. ${r.clockProblem} Check the firmware's timestamp timer (th_timestamp / the µs counter it reads).`,
  )
}

export async function runPerformance(board: Board, o: PerformanceOptions): Promise<PerformanceOutcome> {
  const first = o.inputs[0]
  if (first === undefined) throw new StudioError('INTERNAL', 'Performance mode needs at least one input.')
  const sig = o.signal
  const progress = (done: number, fraction: number, message: string): void =>
    o.onProgress?.({ phase: 'latency', done, total: o.inputs.length, fraction, message })
  progress(0, 0, 'probe run')
  await withRecovery(board, 'Loading the probe input', () => board.loadInput(first, sig), sig)
  const cold = timed(
    await withRecovery(board, 'The probe run', () => board.infer(1, 0, (o.lineTimeoutMs ?? LINE_TIMEOUT_US / 1000) + o.commandTimeoutMs, sig), sig),
    'The probe run',
  )
  let per = Math.max(1, cold.elapsedUs)
  // One inference is too short to time well on a fast board: a second probe of ~0.5 s.
  if (per < 50_000) {
    const k = Math.min(100_000, Math.max(MIN_INFERENCES, Math.ceil(500_000 / per)))
    const r = timed(
      await withRecovery(board, 'The probe run', () => board.infer(k, 0, inferTimeoutMs(k, per, o.commandTimeoutMs), sig), sig),
      'The probe run',
    )
    per = Math.max(1, r.elapsedUs / k)
  }
  const n = planInferences(per, o.windowSeconds)
  const windows: WindowFigures[] = []
  for (let i = 0; i < o.inputs.length; i++) {
    const input = o.inputs[i] as Uint8Array
    progress(i, 0.05 + (0.95 * i) / o.inputs.length, `window ${i + 1} of ${o.inputs.length}: ${n} inferences`)
    // The board is silent for the whole window (≥ 10 s): progress moves on the expected duration.
    const started = Date.now()
    const expectedMs = ((n + o.warmup) * per) / 1000
    const tick = setInterval(() => {
      const within = Math.min(0.99, (Date.now() - started) / expectedMs)
      progress(
        i,
        0.05 + (0.95 * (i + within)) / o.inputs.length,
        `window ${i + 1} of ${o.inputs.length}: ${n} inferences`,
      )
    }, 500)
    let r: Awaited<ReturnType<Board['infer']>>
    try {
      r = await withRecovery(
        board,
        `Window ${i + 1}`,
        async () => {
          await board.loadInput(input, sig)
          return board.infer(n, o.warmup, inferTimeoutMs(n + o.warmup, per, o.commandTimeoutMs), sig)
        },
        sig,
      )
    } finally {
      clearInterval(tick)
    }
    timed(r, `Window ${i + 1}`)
    const w: WindowFigures = {
      input: i,
      n,
      elapsedUs: r.elapsedUs,
      latencyUs: r.elapsedUs / n,
      throughput: r.elapsedUs > 0 ? (n * 1e6) / r.elapsedUs : 0,
    }
    windows.push(w)
    o.onWindow?.(w)
  }
  progress(o.inputs.length, 1, 'done')
  return { windows, firstInferenceUs: cold.elapsedUs, probeUs: per, n }
}
