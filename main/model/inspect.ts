/**
 * `edgebench inspect`: everything the studio knows about a model without running it on a device
 * — parameters, MACs, weights and activation memory, shapes, op histogram, file digests.
 */
import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { Dim, InspectResult, LayerInfo, Progress, TensorInfo } from '../../common/types.js'
import { StudioError } from '../../common/errors.js'
import { printable } from '../../common/format.js'
import { defaultOpset } from './graph.js'
import { checkWindowAttributes, dropImpossibleShapes, inputWarnings, macWarnings, memoryWarning, type MacTally } from './checks.js'
import { macsByOutput, macsCountable, nodeMacs } from './macs.js'
import { peakActivationBytes } from './memory.js'
import { decodeModel, readModelFile } from './onnx-io.js'
import { findParams } from './params.js'
import { GraphIndex } from './graph-index.js'
import { graphOf, type ModelProto, type ValueInfoProto } from './proto.js'
import type { RuntimeShape } from './runtime-shapes.js'
import { runtimeShapesInEngine } from '../worker/engine.js'
import { declaredShape, inferShapes, knownOp, type ShapeInference } from './shapes.js'
import { dtypeName, tensorBytes } from './tensor.js'

const gzipAsync = promisify(gzip)

export interface InspectOptions {
  /** Concrete shapes for inputs with symbolic dims other than the batch (e.g. dynamic H×W). */
  inputShapes?: Record<string, number[]>
  /**
   * When to run the model in ONNX Runtime for shapes: 'auto' (default) only for tensors static
   * inference cannot resolve; 'always' for every intermediate tensor (a cross-check); 'never'.
   */
  runtime?: 'auto' | 'always' | 'never'
  /**
   * Who runs that pass. Default: the engine worker process, so ONNX Runtime never runs in the
   * process that owns the window; code already in that worker passes runtime-shapes.ts directly.
   */
  runtimeShapes?: RuntimeShapesFn
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

/** Shapes of `names` from one ONNX Runtime run on zeros (see runtime-shapes.ts for the arguments). */
export type RuntimeShapesFn = (
  model: ModelProto,
  names: readonly string[],
  inputs: ReadonlyMap<string, { dtype: number; shape: Dim[] }>,
  dtypes: Map<string, number>,
  signal?: AbortSignal,
) => Promise<Map<string, RuntimeShape>>

function tensorInfo(v: ValueInfoProto, inferred: ShapeInference): TensorInfo {
  const meta = inferred.tensors.get(v.name)
  const dtype = v.type?.tensorType?.elemType || meta?.dtype || 0
  return { name: v.name, dtype: dtypeName(dtype), shape: declaredShape(v) ?? meta?.shape ?? [] }
}

/** Adds ORT-measured shapes for the tensors static inference left open (or all, on 'always'). */
async function fillFromRuntime(model: ModelProto, inferred: ShapeInference, opts: InspectOptions): Promise<boolean> {
  const mode = opts.runtime ?? 'auto'
  const names =
    mode === 'always'
      ? inferred.order.flatMap((n) => n.output).filter((o) => o && !inferred.constants.has(o))
      : inferred.unresolved
  if (mode === 'never' || names.length === 0) return false
  const graph = graphOf(model)
  const inputs = new Map<string, { dtype: number; shape: Dim[] }>()
  for (const i of graph.input) {
    const meta = inferred.tensors.get(i.name)
    if (meta && !inferred.constants.has(i.name)) inputs.set(i.name, { dtype: meta.dtype, shape: meta.shape ?? [] })
  }
  const dtypes = new Map(names.map((n) => [n, inferred.tensors.get(n)?.dtype ?? 0]))
  try {
    const found = await (opts.runtimeShapes ?? runtimeShapesInEngine)(model, names, inputs, dtypes, opts.signal)
    for (const [name, { dtype, shape }] of found) {
      const meta = inferred.tensors.get(name)
      inferred.tensors.set(name, { dtype: dtype || meta?.dtype || 0, shape, value: meta?.value })
    }
    inferred.unresolved = inferred.unresolved.filter((n) => !found.has(n))
    return found.size > 0
  } catch (e) {
    if (e instanceof StudioError && e.code === 'CANCELLED') throw e
    // ORT may not load every model (custom ops); the static shapes are still worth reporting.
    return false
  }
}

function layersOf(
  inferred: ShapeInference,
  params: ReturnType<typeof findParams>,
  counts: Map<string, number>,
  tally: MacTally,
): LayerInfo[] {
  return inferred.order.map((node, i) => {
    const shape = inferred.tensors.get(node.output[0] ?? '')?.shape ?? null
    const used = params.byNode.get(node) ?? []
    const name = node.name || `${node.opType}_${i}`
    const macs = nodeMacs(node, inferred.tensors)
    const known = knownOp(node)
    if (!known) {
      const op = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType
      tally.unknownOps.set(op, (tally.unknownOps.get(op) ?? 0) + 1)
    }
    const counted = known && macsCountable(node, inferred.tensors) && Number.isFinite(macs) && macs >= 0
    if (known && !counted) tally.uncounted.push(name)
    return {
      name,
      op: node.opType,
      macs: counted ? macs : 0,
      params: used.reduce((s, n) => s + (counts.get(n) ?? 0), 0),
      outputShape: shape,
      ...(counted ? {} : { uncounted: true as const }),
    }
  })
}

/** Longest metadata value kept: a label list of 1,000 ImageNet classes is about 20 KB. */
const MAX_METADATA_CHARS = 256 * 1024

function metadataOf(model: ModelProto): { metadata?: Record<string, string> } {
  const props = model.metadataProps ?? []
  if (props.length === 0) return {}
  const out: Record<string, string> = {}
  for (const p of props) {
    if (typeof p.key === 'string' && typeof p.value === 'string' && p.value.length <= MAX_METADATA_CHARS) out[p.key] = p.value
  }
  return { metadata: out }
}

/** Ops that pass their input's values through unchanged (a Softmax behind them still gives probabilities). */
const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Cast'])

function softmaxOf(index: GraphIndex): { softmaxOutputs?: string[] } {
  const found = index.graph.output
    .map((o) => o.name)
    .filter((name) => {
      let n = index.producer.get(name)
      for (let i = 0; n && PASS_THROUGH.has(n.opType) && i < 16; i++) n = index.producer.get(n.input[0] ?? '')
      return n?.opType === 'Softmax'
    })
  return found.length > 0 ? { softmaxOutputs: found } : {}
}

/** Inspects an already decoded model; `bytes` are its file's bytes (for size and digests). */
export async function inspectDecoded(model: ModelProto, bytes: Uint8Array, opts: InspectOptions = {}): Promise<InspectResult> {
  const progress = (fraction: number, message: string): void =>
    opts.onProgress?.({ phase: fraction >= 1 ? 'done' : 'prepare', done: fraction, total: 1, fraction, message })
  const graph = graphOf(model)
  progress(0.1, 'inferring shapes')
  const inferred = inferShapes(model, { inputShapes: opts.inputShapes })
  checkWindowAttributes(inferred.order)
  const runtimeUsed = await fillFromRuntime(model, inferred, opts)
  const warnings = dropImpossibleShapes(inferred.order, inferred.tensors)
  progress(0.7, 'counting parameters and MACs')
  const index = new GraphIndex(graph)
  const constants = index.constants
  const params = findParams(inferred.order, index)
  const paramsByDtype: Record<string, { count: number; bytes: number }> = {}
  for (const p of params.tensors.values()) {
    const entry = (paramsByDtype[dtypeName(p.dtype)] ??= { count: 0, bytes: 0 })
    entry.count += p.count
    entry.bytes += p.bytes
  }
  const counts = new Map([...params.tensors.values()].map((p) => [p.name, p.count]))
  const tally: MacTally = { unknownOps: new Map(), uncounted: [] }
  const layers = layersOf(inferred, params, counts, tally)
  const opCounts: Record<string, number> = {}
  for (const n of graph.node) opCounts[n.opType] = (opCounts[n.opType] ?? 0) + 1
  const inputs = graph.input.filter((i) => !inferred.constants.has(i.name))
  const inputInfos = inputs.map((i) => tensorInfo(i, inferred))
  const peak = peakActivationBytes({
    order: inferred.order,
    tensors: inferred.tensors,
    inputs: inputs.map((i) => i.name),
    outputs: graph.output.map((o) => o.name),
    constants: inferred.constants,
  })
  warnings.push(...inputWarnings(inputInfos), ...macWarnings(tally))
  const memory = memoryWarning(peak)
  if (memory) warnings.push(memory)
  const result: InspectResult = {
    params: [...params.tensors.values()].reduce((s, p) => s + p.count, 0),
    macs: layers.reduce((s, l) => s + l.macs, 0),
    weightsBytes: [...constants.values()].reduce((s, t) => s + tensorBytes(t), 0),
    paramsByDtype,
    fileBytes: bytes.length,
    gzipBytes: (await gzipAsync(bytes, { level: 9 })).length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    peakActivationBytes: peak,
    opset: defaultOpset(model),
    inputs: inputInfos,
    outputs: graph.output.map((o) => tensorInfo(o, inferred)),
    opCounts,
    layers,
    shapeSource: runtimeUsed ? 'static+runtime' : 'static',
    warnings,
    macsLowerBound: tally.unknownOps.size > 0 || tally.uncounted.length > 0,
    ...metadataOf(model),
    ...softmaxOf(index),
  }
  progress(1, 'done')
  return result
}

/**
 * Inspects an .onnx file (see InspectResult for the meaning of every field). Counts are for
 * batch 1 when the batch dim is symbolic; `weightsBytes` covers initializers and the tensors of
 * Constant nodes (both are stored weights in the file).
 */
export async function inspectModel(path: string, opts: InspectOptions = {}): Promise<InspectResult> {
  if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'Inspection was cancelled.')
  const bytes = await readModelFile(path)
  return named(basename(path), inspectDecoded(decodeModel(bytes, basename(path)), bytes, opts))
}

/** A model refused during inspection (checks.ts) is named in the message, as one refused while read is. */
async function named<T>(label: string, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (e) {
    if (e instanceof StudioError && e.code === 'MODEL_INVALID' && !e.message.startsWith('Error loading')) {
      throw new StudioError(e.code, `ONNX model ${printable(label)}: ${e.message}`, { cause: e })
    }
    throw e
  }
}

/**
 * MACs of the part of the graph each output needs (batch 1), e.g. `{ logits, exit1 }` for an
 * early-exit model; shapes as in inspectModel (static, runtime pass where needed).
 */
export async function outputMacs(model: ModelProto, opts: InspectOptions = {}): Promise<Record<string, number>> {
  const inferred = inferShapes(model, { inputShapes: opts.inputShapes })
  await fillFromRuntime(model, inferred, opts)
  return macsByOutput(new GraphIndex(graphOf(model)), inferred.tensors, graphOf(model).output.map((o) => o.name))
}

/** Inspects ONNX bytes held in memory. */
export async function inspectBytes(bytes: Uint8Array, label: string, opts: InspectOptions = {}): Promise<InspectResult> {
  return named(basename(label), inspectDecoded(decodeModel(bytes, basename(label)), bytes, opts))
}
