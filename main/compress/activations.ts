/**
 * The one way compression reads a model's activations: run it (or several models in lockstep) in
 * ONNX Runtime with extra graph outputs over a stream of batches, and hand each batch's tensors to
 * a callback. Calibration, the INT8 explanation, pruning's activation statistics and recovery all
 * use it, so memory stays one batch of activations whatever the number of samples, and every ORT
 * use of the derive path sits here (the desktop app runs derive jobs in a child process).
 */
import * as ort from 'onnxruntime-node'
import { cpus } from 'node:os'
import { StudioError } from '../../common/errors.js'
import type { Batch } from '../../devices/device.js'
import { encodeModel } from '../model/onnx-io.js'
import { graphOf, onnx, type ModelProto } from '../model/proto.js'
import { ElemType } from '../model/tensor.js'
import { cloneModel } from './graph-edit.js'

/** One output tensor of one batch. */
export interface Activation {
  data: Float32Array
  dims: readonly number[]
}

/** A model to run and the tensors to read from it (graph outputs or any float intermediate). */
export interface Tap {
  model: ModelProto
  names: readonly string[]
  /** ORT graph optimisation; 'disabled' keeps every intermediate as the file names it. Default 'basic'. */
  optimization?: 'disabled' | 'basic' | 'all'
  /** Run only what `names` need (their ancestors), not the whole graph. */
  truncate?: boolean
}

export interface StreamOptions {
  signal?: AbortSignal
  /** After each batch: samples done so far. */
  onBatch?: (done: number) => void
  /** Intra-op threads; default all cores (derive jobs run alone). */
  threads?: number
  /** What the data is, for the message when a batch does not fit the model ("calibration"). */
  what?: string
}

/** The model's bytes with `names` added as float graph outputs. */
export function withOutputs(model: ModelProto, names: readonly string[]): Uint8Array {
  const copy = cloneModel(model)
  const graph = graphOf(copy)
  const have = new Set(graph.output.map((o) => o.name))
  for (const name of names) {
    if (!have.has(name)) graph.output.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: ElemType.FLOAT } } }))
  }
  return encodeModel(copy)
}

/** The part of the model `names` depend on, with `names` as its only outputs. */
export function truncated(model: ModelProto, names: readonly string[]): Uint8Array {
  const copy = cloneModel(model)
  const graph = graphOf(copy)
  const producer = new Map(graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)))
  const needed = new Set<object>()
  const stack = [...names]
  while (stack.length > 0) {
    const node = producer.get(stack.pop() as string)
    if (!node || needed.has(node)) continue
    needed.add(node)
    for (const i of node.input) if (i) stack.push(i)
  }
  graph.node = graph.node.filter((n) => needed.has(n))
  const read = new Set(graph.node.flatMap((n) => n.input))
  graph.initializer = graph.initializer.filter((t) => read.has(t.name))
  const inits = new Set(graph.initializer.map((t) => t.name))
  graph.input = graph.input.filter((i) => read.has(i.name) || !inits.has(i.name))
  graph.output = names.map((name) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: ElemType.FLOAT } } }))
  graph.valueInfo = []
  return encodeModel(copy)
}

function inputOf(model: ModelProto): string {
  const graph = graphOf(model)
  const inits = new Set(graph.initializer.map((t) => t.name))
  const name = graph.input.find((i) => !inits.has(i.name))?.name
  if (!name) throw new StudioError('MODEL_INVALID', 'The model has no input to feed samples to.')
  return name
}

/**
 * Runs every tap on every batch, in order, and calls `onBatch` with the batch and, per tap, its
 * tensors by name (float32 only). Returns the number of samples seen.
 */
export async function streamTaps(
  taps: readonly Tap[],
  batches: AsyncIterable<Batch> | Iterable<Batch>,
  onBatch: (batch: Batch, outputs: Map<string, Activation>[]) => void | Promise<void>,
  opts: StreamOptions = {},
): Promise<number> {
  const sessions: { session: ort.InferenceSession; input: string; names: string[] }[] = []
  let done = 0
  try {
    for (const tap of taps) {
      const bytes = tap.truncate ? truncated(tap.model, tap.names) : withOutputs(tap.model, tap.names)
      const session = await ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: tap.optimization ?? 'basic',
        intraOpNumThreads: opts.threads ?? Math.max(1, cpus().length),
        logSeverityLevel: 3,
      })
      sessions.push({ session, input: inputOf(tap.model), names: [...tap.names] })
    }
    for await (const batch of batches) {
      if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled; nothing was written.')
      const outputs: Map<string, Activation>[] = []
      for (const s of sessions) outputs.push(await runOne(s, batch, opts.what ?? 'calibration'))
      await onBatch(batch, outputs)
      done += batch.count
      opts.onBatch?.(done)
    }
  } finally {
    for (const s of sessions) await s.session.release()
  }
  return done
}

async function runOne(s: { session: ort.InferenceSession; input: string; names: string[] }, batch: Batch, what: string): Promise<Map<string, Activation>> {
  let out: ort.InferenceSession.ReturnType
  try {
    out = await s.session.run({ [s.input]: new ort.Tensor('float32', batch.data, batch.dims) }, s.names)
  } catch (e) {
    throw new StudioError(
      'DATASET_MISMATCH',
      `The ${what} samples do not fit the model's input (batch shape [${batch.dims.join(', ')}]): ${String(e).split('\n')[0]}. Choose a dataset with the model's image size and channels.`,
      { cause: e },
    )
  }
  const result = new Map<string, Activation>()
  for (const name of s.names) {
    const t = out[name]
    if (t && t.type === 'float32') result.set(name, { data: t.data as Float32Array, dims: t.dims })
  }
  return result
}

/** One model: `onBatch` gets its tensors by name. */
export function streamOutputs(
  tap: Tap,
  batches: AsyncIterable<Batch> | Iterable<Batch>,
  onBatch: (batch: Batch, outputs: Map<string, Activation>) => void | Promise<void>,
  opts: StreamOptions = {},
): Promise<number> {
  return streamTaps([tap], batches, (batch, [outputs]) => onBatch(batch, outputs ?? new Map()), opts)
}

/**
 * One model, several runs over the same (small, in-memory) batches with extra inputs that change
 * per run (pruning's sensitivity scan feeds channel masks): one session for all of them.
 * `onResult(run, batch, outputs)` gets `names` for each run and batch.
 */
export async function runVariants(
  model: ModelProto,
  names: readonly string[],
  batches: readonly Batch[],
  runs: number,
  feedsOf: (run: number) => Record<string, Activation>,
  onResult: (run: number, batch: Batch, outputs: Map<string, Activation>) => void,
  opts: StreamOptions = {},
): Promise<void> {
  const session = await ort.InferenceSession.create(withOutputs(model, names), {
    // Only final outputs are read here, so ORT may fuse everything.
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opts.threads ?? Math.max(1, cpus().length),
    logSeverityLevel: 3,
  })
  const input = inputOf(model)
  try {
    for (let run = 0; run < runs; run++) {
      if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled; nothing was written.')
      const extra = Object.fromEntries(Object.entries(feedsOf(run)).map(([k, v]) => [k, new ort.Tensor('float32', v.data, [...v.dims])]))
      for (const batch of batches) {
        const out = await session.run({ [input]: new ort.Tensor('float32', batch.data, batch.dims), ...extra }, [...names])
        const result = new Map<string, Activation>()
        for (const name of names) {
          const t = out[name]
          if (t && t.type === 'float32') result.set(name, { data: t.data as Float32Array, dims: t.dims })
        }
        onResult(run, batch, result)
      }
      opts.onBatch?.(run + 1)
    }
  } finally {
    await session.release()
  }
}
