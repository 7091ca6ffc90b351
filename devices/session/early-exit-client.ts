/**
 * The studio's side of an early-exit measurement, the same for every device that runs a session
 * server (local runner, SSH agent): load the chain, run the earlyExit op, and gather its events —
 * the chain's scores of every sample and the timed samples of every configuration.
 */
import { StudioError } from '../../common/errors.js'
import type { Progress } from '../../common/types.js'
import type { ReplyFor, RequestOf } from './client.js'
import type { ChainSpec, EarlyExitReply, EarlyExitSpec, SessionEvent } from './protocol.js'

export type RequestFn = <R extends RequestOf>(
  req: R,
  onEvent?: (e: SessionEvent) => void,
  signal?: AbortSignal,
) => Promise<ReplyFor<R>>

/** What a device hands back from an early-exit measurement (statistics are the engine's job). */
export interface RawEarlyExit {
  reply: EarlyExitReply
  /** Per output (exits in order, then the final), row-major [count × classes] scores from the chain. */
  chainScores: Float32Array[]
  classes: number
  /** Timed samples (µs) per configuration: 0 = the unsplit model, 1 + i = threshold i. */
  samplesUs: number[][]
  /** Session creation of each segment, ms. */
  sessionCreateMs: number[]
}

export interface EarlyExitProgress {
  onProgress?: (p: Progress) => void
  signal?: AbortSignal
}

/** Verification takes about this share of the progress bar, timing the rest. */
const VERIFY_SHARE = 0.25

export async function requestEarlyExit(
  request: RequestFn,
  chain: ChainSpec,
  spec: EarlyExitSpec,
  hooks: EarlyExitProgress,
): Promise<RawEarlyExit> {
  const total = spec.inputs.batches.reduce((n, b) => n + b.count, 0)
  const outputs = chain.exits.length + 1
  const loaded = await request({ op: 'loadChain', chain }, undefined, hooks.signal)
  const chainScores: Float32Array[] = []
  const samplesUs: number[][] = Array.from({ length: spec.thresholds.length + 1 }, () => [])
  let classes = 0
  let seen = 0
  const onEvent = (e: SessionEvent): void => {
    if (e.event === 'chainScores') {
      if (chainScores.length === 0) {
        classes = e.classes
        for (let k = 0; k < outputs; k++) chainScores.push(new Float32Array(total * classes))
      }
      if (e.classes !== classes || e.scores.length !== outputs || e.offset + e.count > total) {
        throw new StudioError(
          'DEVICE_ERROR',
          `The device sent early-exit scores that do not fit ${total} samples × ${classes} classes × ${outputs} outputs`,
        )
      }
      e.scores.forEach((s, k) => chainScores[k]?.set(s, e.offset * classes))
      seen += e.count
    } else if (e.event === 'samples' && e.config !== undefined) {
      const into = samplesUs[e.config]
      if (into) for (const s of e.chunkUs) into.push(s)
    } else if (e.event === 'progress') {
      const f = e.total ? Math.min(1, e.done / e.total) : 0
      const fraction = e.phase === 'verify' ? VERIFY_SHARE * f : VERIFY_SHARE + (1 - VERIFY_SHARE) * f
      const phase = e.phase === 'verify' ? 'accuracy' : e.phase === 'warmup' ? 'warmup' : 'latency'
      hooks.onProgress?.({ phase, done: e.done, total: e.total ?? e.done, fraction })
    }
  }
  const reply = await request({ op: 'earlyExit', spec }, onEvent, hooks.signal)
  if (seen !== total) {
    throw new StudioError(
      'DEVICE_ERROR',
      `The device ran ${seen} of ${total} samples through the early-exit chain`,
    )
  }
  return { reply, chainScores, classes, samplesUs, sessionCreateMs: loaded.sessionCreateMs }
}
