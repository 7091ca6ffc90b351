/**
 * The inference thread of the local runner (see runner.ts): owns the ONNX Runtime session and
 * answers the requests of messages.ts one at a time. It lives in a worker thread so that the
 * runner's main thread can receive the next evaluation batch over IPC while this one infers.
 */
import { parentPort } from 'node:worker_threads'
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
  bundledExecutionProviders,
  concreteShape,
  createSession,
  f16ToF32,
  f32ToF16,
  makeFeeds,
  measureLatency,
  readPeakRssBytes,
  readRssBytes,
} from './measure.js'
import { profileNodes } from './measure-profile.js'
import type { FromRunner, ToRunner } from './messages.js'

interface Loaded {
  session: ort.InferenceSession
  modelPath: string
  options: SessionOptions
  feeds: Record<string, ort.Tensor> | null
  sessionCreateMs: number
  /** VmHWM before the session was created: the zero of peakRssBytes. */
  basePeakRss: number
}

let loaded: Loaded | null = null

function send(m: FromRunner): void {
  parentPort?.postMessage(m)
}

class RunnerError extends Error {
  constructor(
    readonly code: ErrorInfo['code'],
    message: string,
  ) {
    super(message)
  }
}

function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof RunnerError) return { code: e.code, message: e.message }
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
  return { code: 'DEVICE_ERROR', message: `The local runner failed: ${why}` }
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

async function load(id: number, modelPath: string, options: SessionOptions): Promise<void> {
  if (loaded) await loaded.session.release()
  loaded = null
  const basePeakRss = readPeakRssBytes()
  const rss0 = readRssBytes()
  const { session, createMs } = await createSession(modelPath, options)
  const sessionRssBytes = Math.max(0, readRssBytes() - rss0)
  loaded = { session, modelPath, options, feeds: null, sessionCreateMs: createMs, basePeakRss }
  send({
    type: 'loaded',
    id,
    inputs: session.inputMetadata.map(tensorInfo),
    outputs: session.outputMetadata.map(tensorInfo),
    sessionCreateMs: createMs,
    sessionRssBytes,
  })
}

function requireLoaded(): Loaded {
  if (!loaded) throw new RunnerError('INTERNAL', 'No model is loaded in the local runner; prepare it first')
  return loaded
}

async function bench(id: number, spec: LatencySpec): Promise<void> {
  const l = requireLoaded()
  l.feeds ??= makeFeeds(l.session)
  const r = await measureLatency(l.session, l.feeds, spec, {
    onSamples: (chunkUs) => send({ type: 'samples', id, chunkUs }),
    onProgress: (phase, done, elapsedMs) => send({ type: 'progress', id, phase, done, elapsedMs }),
  })
  // Peak before the profiling pass: its second session must not count against this model.
  const memory: MemoryResult = {
    peakRssBytes: Math.max(0, readPeakRssBytes() - l.basePeakRss),
    sessionRssBytes: null,
  }
  let profile: NodeProfile[] | undefined
  if (spec.profile) {
    const sorted = [...r.samplesUs].sort((a, b) => a - b)
    const medianUs = sorted[Math.floor(sorted.length / 2)] ?? 1000
    // About one second of profiled runs, between 10 and 200 of them.
    const runs = Math.min(200, Math.max(10, Math.round(1e6 / Math.max(medianUs, 1))))
    let last = 0
    profile = await profileNodes(l.modelPath, l.options, (s) => makeFeeds(s), {
      runs,
      warmupRuns: 5,
      onProgress: (done, total) => {
        const now = Date.now()
        if (now - last < 100 && done < total) return
        last = now
        send({ type: 'progress', id, phase: 'profile', done, total, elapsedMs: 0 })
      },
    })
  }
  send({
    type: 'benchDone',
    id,
    firstInferenceUs: r.firstInferenceUs,
    sessionCreateMs: l.sessionCreateMs,
    memory,
    sampleCount: r.samplesUs.length,
    ...(profile ? { profile } : {}),
  })
}

function batchTensor(l: Loaded, data: Float32Array, dims: number[]): { name: string; tensor: ort.Tensor } {
  const meta = l.session.inputMetadata
  const first = meta[0]
  if (meta.length !== 1 || !first?.isTensor) {
    throw new RunnerError(
      'MODEL_UNSUPPORTED',
      `Evaluation needs a model with one tensor input; this one has ${meta.length}`,
    )
  }
  const want = concreteShape(first.shape)
  const fits =
    dims.length === want.length &&
    dims.every((d, i) => i === 0 || typeof first.shape[i] !== 'number' || d === want[i])
  if (!fits) {
    throw new RunnerError(
      'DATASET_MISMATCH',
      `Batch shape [${dims.join(', ')}] does not fit the model input '${first.name}' [${first.shape.join(', ')}]; check the preprocessing`,
    )
  }
  if (first.type === 'float32') return { name: first.name, tensor: new ort.Tensor('float32', data, dims) }
  if (first.type === 'float16') {
    return { name: first.name, tensor: new ort.Tensor('float16', Uint16Array.from(data, f32ToF16), dims) }
  }
  throw new RunnerError(
    'MODEL_UNSUPPORTED',
    `Evaluation feeds float inputs; the model input is ${first.type}`,
  )
}

function toFloat32(t: ort.Tensor): Float32Array {
  const d = t.data
  if (d instanceof Float32Array) return d.byteLength === d.buffer.byteLength ? d : d.slice()
  if (t.type === 'float16' && d instanceof Uint16Array) return Float32Array.from(d, f16ToF32)
  if (d instanceof Float64Array) return Float32Array.from(d)
  throw new RunnerError(
    'MODEL_UNSUPPORTED',
    `The first model output is ${t.type}; evaluation needs float scores`,
  )
}

async function evaluate(
  id: number,
  offset: number,
  count: number,
  data: Float32Array,
  dims: number[],
): Promise<void> {
  const l = requireLoaded()
  const { name, tensor } = batchTensor(l, data, dims)
  const outName = l.session.outputNames[0] as string
  const t0 = process.hrtime.bigint()
  const out = await l.session.run({ [name]: tensor }, [outName])
  const inferUs = Number(process.hrtime.bigint() - t0) / 1000
  const result = out[outName]
  if (!result) throw new RunnerError('DEVICE_ERROR', `The model produced no output '${outName}'`)
  const scores = toFloat32(result)
  const classes = count > 0 ? scores.length / count : 0
  // Scores are small (count × classes); copying them is cheaper than reasoning about who owns ORT's buffer.
  send({ type: 'evalResult', id, offset, count, classes, scores, inferUs })
}

function handle(m: ToRunner): Promise<void> {
  switch (m.type) {
    case 'load':
      return load(m.id, m.modelPath, m.session)
    case 'bench':
      return bench(m.id, m.spec)
    case 'eval':
      return evaluate(m.id, m.offset, m.count, m.data, m.dims)
  }
}

// Requests run strictly one after another: ORT sessions are not meant for overlapping runs, and
// queued eval batches simply wait their turn here.
let queue: Promise<void> = Promise.resolve()
parentPort?.on('message', (raw: unknown) => {
  const m = raw as ToRunner
  queue = queue.then(() =>
    handle(m).catch((e: unknown) => send({ type: 'error', id: m.id, error: errorInfo(e) })),
  )
})
send({
  type: 'ready',
  pid: process.pid,
  ortVersion: ort.env.versions.node ?? ort.env.versions.common,
  executionProviders: bundledExecutionProviders(),
})
