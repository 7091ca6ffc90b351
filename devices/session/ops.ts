/**
 * What a session server (server.ts) does with a loaded ONNX Runtime session: load (timed),
 * benchmark (measure.ts's timed loop + the optional profile pass) and evaluate one batch — the
 * same code in the local runner and the SSH agent, so latency is measured alike on every device.
 *
 * Like measure.ts, this depends only on onnxruntime-node, Node builtins and pure code: the SSH
 * agent bundles it.
 */
import * as ort from 'onnxruntime-node'
import type { ErrorInfo } from '../../common/errors.js'
import type {
  LatencySpec,
  MemoryResult,
  NodeProfile,
  SessionOptions,
  TensorInfo,
} from '../../common/types.js'
import {
  MeasureError,
  concreteShape,
  createSession,
  f16ToF32,
  f32ToF16,
  makeFeeds,
  measureLatency,
  readPeakRssBytes,
  readRssBytes,
  type MeasureHooks,
} from '../local/measure.js'
import { profileNodes } from '../local/measure-profile.js'
import type { BenchReply, LoadReply } from './protocol.js'

export interface LoadedSession {
  session: ort.InferenceSession
  modelPath: string
  options: SessionOptions
  feeds: Record<string, ort.Tensor> | null
  sessionCreateMs: number
  /** VmHWM before the session was created: the zero of peakRssBytes. */
  basePeakRss: number
}

export interface EvalBatchResult {
  classes: number
  scores: Float32Array
  inferUs: number
}

/** A failure with a studio error code, thrown by the operations below. */
export class SessionOpError extends Error {
  constructor(
    readonly code: ErrorInfo['code'],
    message: string,
  ) {
    super(message)
    this.name = 'SessionOpError'
  }
}

/** Maps anything thrown by the operations to the wire form; `who` names the process for the message. */
export function errorInfo(e: unknown, who: string): ErrorInfo {
  if (e instanceof SessionOpError) return { code: e.code, message: e.message }
  if (e instanceof MeasureError) {
    const code =
      e.kind === 'bad-input'
        ? 'BAD_INPUT'
        : e.kind === 'model-invalid'
          ? 'MODEL_INVALID'
          : 'MODEL_UNSUPPORTED'
    return { code, message: e.message }
  }
  const why = e instanceof Error ? e.message : String(e)
  return { code: 'DEVICE_ERROR', message: `${who} failed: ${why}` }
}

const KNOWN_DTYPES = new Set<string>([
  'float32',
  'float16',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'int64',
  'bool',
  'string',
])

/** ORT knows a few types the studio's DType does not (uint32, int4, …): those show as 'unknown'. */
function tensorInfo(m: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!m.isTensor) return { name: m.name, dtype: 'unknown', shape: [] }
  const dtype = KNOWN_DTYPES.has(m.type) ? (m.type as TensorInfo['dtype']) : 'unknown'
  return { name: m.name, dtype, shape: [...m.shape] }
}

/** Releases `previous` (if any) and loads a new session, timing it and its RSS growth. */
export async function loadSession(
  previous: LoadedSession | null,
  modelPath: string,
  options: SessionOptions,
): Promise<{ loaded: LoadedSession; info: LoadReply }> {
  if (previous) await previous.session.release()
  const basePeakRss = readPeakRssBytes()
  const rss0 = readRssBytes()
  const { session, createMs } = await createSession(modelPath, options)
  const sessionRssBytes = Math.max(0, readRssBytes() - rss0)
  return {
    loaded: { session, modelPath, options, feeds: null, sessionCreateMs: createMs, basePeakRss },
    info: {
      inputs: session.inputMetadata.map(tensorInfo),
      outputs: session.outputMetadata.map(tensorInfo),
      sessionCreateMs: createMs,
      sessionRssBytes,
    },
  }
}

export interface BenchHooks extends MeasureHooks {
  onProfileProgress?: (done: number, total: number) => void
}

/** measure.ts's timed loop on the loaded session, then (when asked) the per-node profile pass. */
export async function benchSession(
  l: LoadedSession,
  spec: LatencySpec,
  hooks: BenchHooks,
): Promise<BenchReply> {
  l.feeds ??= makeFeeds(l.session)
  const r = await measureLatency(l.session, l.feeds, spec, hooks)
  // Peak before the profiling pass: its second session must not count against this model.
  const memory: MemoryResult = {
    peakRssBytes: Math.max(0, readPeakRssBytes() - l.basePeakRss),
    sessionRssBytes: null,
  }
  let profile: NodeProfile[] | undefined
  if (spec.profile && !hooks.shouldStop?.()) {
    const sorted = [...r.samplesUs].sort((a, b) => a - b)
    const medianUs = sorted[Math.floor(sorted.length / 2)] ?? 1000
    // About one second of profiled runs, between 10 and 200 of them.
    const runs = Math.min(200, Math.max(10, Math.round(1e6 / Math.max(medianUs, 1))))
    let last = 0
    profile = await profileNodes(l.modelPath, l.options, (s) => makeFeeds(s), {
      runs,
      warmupRuns: 5,
      ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
      onProgress: (done, total) => {
        const now = Date.now()
        if (now - last < 100 && done < total) return
        last = now
        hooks.onProfileProgress?.(done, total)
      },
    })
  }
  return {
    firstInferenceUs: r.firstInferenceUs,
    sessionCreateMs: l.sessionCreateMs,
    memory,
    sampleCount: r.samplesUs.length,
    ...(profile ? { profile } : {}),
  }
}

export function batchTensor(
  l: LoadedSession,
  data: Float32Array,
  dims: number[],
): { name: string; tensor: ort.Tensor } {
  const meta = l.session.inputMetadata
  const first = meta[0]
  if (meta.length !== 1 || !first?.isTensor) {
    throw new SessionOpError(
      'MODEL_UNSUPPORTED',
      `Evaluation needs a model with one tensor input; this one has ${meta.length}`,
    )
  }
  const want = concreteShape(first.shape)
  const fits =
    dims.length === want.length &&
    dims.every((d, i) => i === 0 || typeof first.shape[i] !== 'number' || d === want[i])
  if (!fits) {
    throw new SessionOpError(
      'DATASET_MISMATCH',
      `Batch shape [${dims.join(', ')}] does not fit the model input '${first.name}' [${first.shape.join(', ')}]; check the preprocessing`,
    )
  }
  if (first.type === 'float32') return { name: first.name, tensor: new ort.Tensor('float32', data, dims) }
  if (first.type === 'float16') {
    return { name: first.name, tensor: new ort.Tensor('float16', Uint16Array.from(data, f32ToF16), dims) }
  }
  // Raw-byte models: preprocessing made the pixel values themselves (scale 1, mean 0, std 1).
  if (first.type === 'uint8') {
    return { name: first.name, tensor: new ort.Tensor('uint8', Uint8Array.from(data, (v) => Math.min(255, Math.max(0, Math.round(v)))), dims) }
  }
  throw new SessionOpError(
    'MODEL_UNSUPPORTED',
    `Evaluation feeds float or uint8 inputs; the model input is ${first.type}`,
  )
}

export function toFloat32(t: ort.Tensor): Float32Array {
  const d = t.data
  if (d instanceof Float32Array) return d.byteLength === d.buffer.byteLength ? d : d.slice()
  if (t.type === 'float16' && d instanceof Uint16Array) return Float32Array.from(d, f16ToF32)
  if (d instanceof Float64Array) return Float32Array.from(d)
  throw new SessionOpError(
    'MODEL_UNSUPPORTED',
    `The model output is ${t.type}; evaluation needs float scores`,
  )
}

/** Runs one batch [count, ...] and returns the scores of `output` (default: the first output) as float32. */
export async function evalBatch(
  l: LoadedSession,
  count: number,
  data: Float32Array,
  dims: number[],
  output?: string,
): Promise<EvalBatchResult> {
  const { name, tensor } = batchTensor(l, data, dims)
  if (output !== undefined && !l.session.outputNames.includes(output)) {
    throw new SessionOpError('BAD_INPUT', `The model has no output '${output}'; its outputs: ${l.session.outputNames.join(', ')}`)
  }
  const outName = output ?? (l.session.outputNames[0] as string)
  const t0 = process.hrtime.bigint()
  const out = await l.session.run({ [name]: tensor }, [outName])
  const inferUs = Number(process.hrtime.bigint() - t0) / 1000
  const result = out[outName]
  if (!result) throw new SessionOpError('DEVICE_ERROR', `The model produced no output '${outName}'`)
  const scores = toFloat32(result)
  const classes = count > 0 ? scores.length / count : 0
  return { classes, scores, inferUs }
}
