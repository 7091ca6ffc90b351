/**
 * The timed loop of a latency benchmark, exactly as docs/measurement.md defines it.
 *
 * This module depends only on onnxruntime-node, Node builtins and pure code from common/, because
 * the SSH agent reuses it on boards: bundled into the one script uploaded there.
 * The local runner (runner.ts) and the agent wrap it in their own message loops.
 */
import { readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { makeRng } from '../../common/stats.js'

/** Session options as the studio records them (structurally the studio's SessionOptions). */
export interface MeasureSessionOptions {
  threads: number
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all'
  executionProvider: string
}

/** When to stop warming up and measuring (structurally the studio's LatencySpec). */
export interface MeasureSpec {
  warmupRuns: number
  warmupMs: number
  minRuns: number
  minMs: number
  maxMs: number
}

export interface MeasureHooks {
  /** Successive chunks of samples (µs), every 100 samples or 250 ms, so they can be persisted early. */
  onSamples?: (chunkUs: number[]) => void
  /** At most 10 calls a second. `done` counts runs of the phase, `elapsedMs` its wall time. */
  onProgress?: (phase: 'warmup' | 'latency', done: number, elapsedMs: number) => void
  /** Polled between runs; true ends the loop early (the samples so far are kept). */
  shouldStop?: () => boolean
}

export interface LatencyLoopResult {
  samplesUs: number[]
  firstInferenceUs: number
  warmupRuns: number
}

/** A failure the caller can map to its own error type: `kind` says whose fault it is. */
export class MeasureError extends Error {
  constructor(
    readonly kind: 'bad-input' | 'model-invalid' | 'unsupported',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'MeasureError'
  }
}

const CHUNK_SAMPLES = 100
const CHUNK_NS = 250_000_000n
const PROGRESS_NS = 100_000_000n

/** Execution providers this build of onnxruntime-node actually ships. */
export function bundledExecutionProviders(): string[] {
  return ort
    .listSupportedBackends()
    .filter((b) => b.bundled)
    .map((b) => b.name)
}

export function toOrtSessionOptions(opts: MeasureSessionOptions): ort.InferenceSession.SessionOptions {
  const bundled = bundledExecutionProviders()
  if (!bundled.includes(opts.executionProvider)) {
    throw new MeasureError(
      'bad-input',
      `Execution provider '${opts.executionProvider}' is not bundled with this onnxruntime-node; ` +
        `choose one of: ${bundled.join(', ')}`,
    )
  }
  if (!Number.isInteger(opts.threads) || opts.threads < 1) {
    throw new MeasureError('bad-input', `threads must be a positive integer, got ${opts.threads}`)
  }
  return {
    intraOpNumThreads: opts.threads,
    // One inter-op thread and sequential execution: the edge-core setting, and stable timings.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.graphOptimizationLevel,
    executionProviders: [opts.executionProvider],
  }
}

/** Creates a session and times its creation (ms). ORT failures become `model-invalid`. */
export async function createSession(
  modelPath: string,
  opts: MeasureSessionOptions,
  extra: ort.InferenceSession.SessionOptions = {},
): Promise<{ session: ort.InferenceSession; createMs: number }> {
  const options = { ...toOrtSessionOptions(opts), ...extra }
  const t0 = process.hrtime.bigint()
  try {
    const session = await ort.InferenceSession.create(modelPath, options)
    return { session, createMs: Number(process.hrtime.bigint() - t0) / 1e6 }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new MeasureError(
      'model-invalid',
      `Error loading ONNX model ${modelPath}: ${why.replace(/\s+/g, ' ').trim().replace(/\.$/, '')}. ` +
        'Check that it is a complete ONNX file (re-export it) using operators ONNX Runtime supports.',
      { cause: e },
    )
  }
}

/** Batch-1 shape: every symbolic or unknown dimension becomes 1. */
export function concreteShape(shape: ReadonlyArray<number | string>): number[] {
  return shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1))
}

function randomTensor(type: ort.Tensor.Type, dims: number[], next: () => number): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1)
  switch (type) {
    case 'float32':
      return new ort.Tensor(type, Float32Array.from({ length: n }, next), dims)
    case 'float64':
      return new ort.Tensor(type, Float64Array.from({ length: n }, next), dims)
    case 'float16':
      return new ort.Tensor(
        type,
        Uint16Array.from({ length: n }, () => f32ToF16(next())),
        dims,
      )
    case 'uint8':
      return new ort.Tensor(
        type,
        Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
        dims,
      )
    case 'int8':
      return new ort.Tensor(
        type,
        Int8Array.from({ length: n }, () => Math.floor(next() * 256) - 128),
        dims,
      )
    case 'int32':
      return new ort.Tensor(
        type,
        Int32Array.from({ length: n }, () => Math.floor(next() * 16)),
        dims,
      )
    case 'int64':
      return new ort.Tensor(
        type,
        BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 16))),
        dims,
      )
    case 'bool':
      return new ort.Tensor(
        type,
        Uint8Array.from({ length: n }, () => (next() < 0.5 ? 0 : 1)),
        dims,
      )
    default:
      throw new MeasureError('unsupported', `Inputs of type ${type} are not supported for benchmarking`)
  }
}

/** Fixed-seed random batch-1 inputs of each input's dtype and shape, allocated once and reused. */
export function makeFeeds(session: ort.InferenceSession, seed = 20240607): Record<string, ort.Tensor> {
  // The same seed gives the same inputs on every device.
  const next = makeRng(seed)
  const feeds: Record<string, ort.Tensor> = {}
  for (const m of session.inputMetadata) {
    if (!m.isTensor) throw new MeasureError('unsupported', `Input '${m.name}' is not a tensor`)
    feeds[m.name] = randomTensor(m.type, concreteShape(m.shape), next)
  }
  return feeds
}

/** IEEE 754 half from a float (round to nearest even), for float16 model inputs. */
export function f32ToF16(value: number): number {
  const f = new Float32Array([value])
  const x = new Uint32Array(f.buffer)[0] as number
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    const half = mant >>> shift
    const rem = mant & ((1 << shift) - 1)
    const mid = 1 << (shift - 1)
    return sign | (half + (rem > mid || (rem === mid && half & 1) ? 1 : 0))
  }
  const half = (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && half & 1) ? 1 : 0))
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >>> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

const elapsedMs = (from: bigint, to: bigint): number => Number(to - from) / 1e6

/**
 * First inference, warm-up (until BOTH warmupRuns and warmupMs), then timed runs until BOTH minRuns
 * and minMs, capped by maxMs. Only `session.run` sits between the two clock reads.
 */
export async function measureLatency(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  spec: MeasureSpec,
  hooks: MeasureHooks = {},
): Promise<LatencyLoopResult> {
  const stop = hooks.shouldStop ?? ((): boolean => false)
  const t0 = process.hrtime.bigint()
  await session.run(feeds)
  const firstInferenceUs = Number(process.hrtime.bigint() - t0) / 1000

  // Warm-up is capped by maxMs too, so a very slow model cannot warm up forever.
  const warmStart = process.hrtime.bigint()
  let warm = 0
  let lastProgress = 0n
  for (;;) {
    const now = process.hrtime.bigint()
    const ms = elapsedMs(warmStart, now)
    if ((warm >= spec.warmupRuns && ms >= spec.warmupMs) || ms >= spec.maxMs || stop()) break
    if (now - lastProgress >= PROGRESS_NS) {
      lastProgress = now
      hooks.onProgress?.('warmup', warm, ms)
    }
    await session.run(feeds)
    warm++
  }
  const samplesUs = await timedLoop(session, feeds, spec, hooks, stop)
  return { samplesUs, firstInferenceUs, warmupRuns: warm }
}

async function timedLoop(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  spec: MeasureSpec,
  hooks: MeasureHooks,
  stop: () => boolean,
): Promise<number[]> {
  const samples: number[] = []
  let chunk: number[] = []
  const start = process.hrtime.bigint()
  let lastChunk = start
  let lastProgress = 0n
  for (;;) {
    const a = process.hrtime.bigint()
    await session.run(feeds)
    const b = process.hrtime.bigint()
    const us = Number(b - a) / 1000
    samples.push(us)
    chunk.push(us)
    if (chunk.length >= CHUNK_SAMPLES || b - lastChunk >= CHUNK_NS) {
      hooks.onSamples?.(chunk)
      chunk = []
      lastChunk = b
    }
    const ms = elapsedMs(start, b)
    if (b - lastProgress >= PROGRESS_NS) {
      lastProgress = b
      hooks.onProgress?.('latency', samples.length, ms)
    }
    if ((samples.length >= spec.minRuns && ms >= spec.minMs) || ms >= spec.maxMs || stop()) break
  }
  if (chunk.length > 0) hooks.onSamples?.(chunk)
  hooks.onProgress?.('latency', samples.length, elapsedMs(start, process.hrtime.bigint()))
  return samples
}

/** Current resident set size, bytes. */
export function readRssBytes(): number {
  return process.memoryUsage.rss()
}

/**
 * Peak resident set size of this process so far, bytes: VmHWM on Linux (exact, in kB), elsewhere
 * `resourceUsage().maxRSS` (kB on every platform Node supports).
 */
export function readPeakRssBytes(): number {
  if (process.platform === 'linux') {
    try {
      const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
      if (m?.[1]) return Number(m[1]) * 1024
    } catch {
      // fall through: some sandboxes hide /proc
    }
  }
  return process.resourceUsage().maxRSS * 1024
}
