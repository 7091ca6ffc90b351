/**
 * Shared pieces of the pruning engine: the report type, input checks, and a constant store that
 * edits initializers without disturbing other nodes that share them.
 */
import { assertFloatModel } from './graph-edit.js'
import type { PruneReport } from '../../common/compress.js'
import { StudioError } from '../../common/errors.js'
import { GraphIndex } from '../model/graph-index.js'
import { onnx, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../model/proto.js'
import { ElemType, float32ToInitializer, initializerToFloat32, tensorDims, tensorValues } from '../model/tensor.js'

/** What a pruning pass did, for the CLI's --json output and the variant's stored parameters. */
export type { PruneReport }

/** A ratio or sparsity must lie strictly between 0 and 1. */
export function assertFraction(value: number, what: string): void {
  if (!Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new StudioError('BAD_INPUT', `The ${what} must be a fraction between 0 and 1 (exclusive), e.g. 0.5 for 50 %; got ${value}.`)
  }
}

/** Pruning works on float weights; a quantized model's scales would no longer fit its weights. */
export function assertPrunable(model: ModelProto): void {
  assertFloatModel(model, 'Prune the float model, then quantize the pruned variant.')
}

export { cloneModel, WEIGHT_OPS } from './graph-edit.js'

/**
 * Initializers by name with use counts. `replace` writes a new tensor for one node input: in place
 * when that input is the only reader, otherwise as a renamed copy, so a shared initializer (e.g. a
 * deduplicated zero bias) is never edited under another node's feet.
 */
export class ConstStore {
  private readonly byName: Map<string, TensorProto>
  private readonly uses = new Map<string, number>()
  private readonly index: GraphIndex

  constructor(private readonly graph: GraphProto) {
    this.index = new GraphIndex(graph)
    this.byName = new Map(this.index.initializers)
    for (const name of this.byName.keys()) {
      this.uses.set(name, this.index.consumersOf(name).length + (this.index.outputs.has(name) ? 1 : 0))
    }
  }

  get(name: string | undefined): TensorProto | undefined {
    return name ? this.byName.get(name) : undefined
  }

  has(name: string | undefined): boolean {
    return name !== undefined && this.byName.has(name)
  }

  replace(node: NodeProto, inputIndex: number, tensor: TensorProto): void {
    const name = node.input[inputIndex] ?? ''
    const old = this.byName.get(name)
    if (!old) throw new StudioError('INTERNAL', `pruning tried to edit '${name}', which is not an initializer`)
    const count = this.uses.get(name) ?? 0
    let target = name
    if (count > 1) {
      target = this.index.fresh(`${name}__pruned`)
      this.uses.set(name, count - 1)
      this.uses.set(target, 1)
      node.input[inputIndex] = target
    }
    tensor.name = target
    this.byName.set(target, tensor)
    this.writeBack(target, tensor)
  }

  /** Gives an absent optional input (e.g. Split's sizes) a new initializer of its own. */
  add(node: NodeProto, inputIndex: number, tensor: TensorProto, base: string): void {
    const name = this.index.fresh(base)
    while (node.input.length < inputIndex) node.input.push('')
    node.input[inputIndex] = name
    tensor.name = name
    this.byName.set(name, tensor)
    this.uses.set(name, 1)
    this.graph.initializer.push(tensor)
  }

  private writeBack(name: string, tensor: TensorProto): void {
    const list = this.graph.initializer
    const at = list.findIndex((t) => t.name === name)
    if (at >= 0) list[at] = tensor
    else list.push(tensor)
    // IR < 4 lists initializers as graph inputs too; their declared shape must follow.
    const input = this.graph.input.find((i) => i.name === name)
    const shape = input?.type?.tensorType?.shape
    if (shape) shape.dim = tensorDims(tensor).map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d }))
  }
}

/**
 * Keeps `keep` (channel indices) along `axis`, where each channel spans `unit` consecutive
 * entries of that axis (unit > 1 for the columns of a flattened C×H×W feature map).
 */
export function sliceTensor(t: TensorProto, axis: number, keep: readonly number[], unit = 1): TensorProto {
  const dims = tensorDims(t)
  const isInt = t.dataType === ElemType.INT64 || t.dataType === ElemType.INT32
  const data = isInt ? Float64Array.from(tensorValues(t)) : initializerToFloat32(t)
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1)
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1)
  const along = dims[axis] ?? 1
  const rows: number[] = []
  for (const c of keep) for (let u = 0; u < unit; u++) rows.push(c * unit + u)
  const out = new Float64Array(outer * rows.length * inner)
  let k = 0
  for (let o = 0; o < outer; o++) {
    for (const r of rows) {
      const base = (o * along + r) * inner
      for (let i = 0; i < inner; i++) out[k++] = data[base + i] ?? 0
    }
  }
  const newDims = dims.map((d, i) => (i === axis ? rows.length : d))
  return writeTensor(t.name, newDims, out, t.dataType)
}

/** Writes values back in the tensor's own element type (float32, float16, int32 or int64). */
export function writeTensor(name: string, dims: number[], values: ArrayLike<number>, dataType: number): TensorProto {
  if (dataType === ElemType.INT64) {
    const raw = new Uint8Array(values.length * 8)
    const view = new DataView(raw.buffer)
    for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(Math.round(values[i] ?? 0)), true)
    return onnx.TensorProto.create({ name, dims, dataType, rawData: raw })
  }
  const supported: number[] = [ElemType.FLOAT, ElemType.FLOAT16, ElemType.INT32]
  if (!supported.includes(dataType)) {
    throw new StudioError('MODEL_UNSUPPORTED', `Initializer '${name}' has an element type pruning cannot rewrite (${dataType}); convert the model to float32 first.`)
  }
  return float32ToInitializer(name, dims, values, dataType)
}
