/**
 * Channel dependency analysis for structured pruning. Every channel of every feature map is an
 * element of a union-find; an op that makes two channels inseparable (an elementwise op, a
 * residual Add, a Concat slot, a depthwise conv) unites them. A resulting class is one channel
 * that can be removed everywhere at once. Tensors whose channels cannot be removed safely (graph
 * inputs and outputs, ops the analysis does not model, grouped convs, shuffles) are blocked with
 * a reason, and every class touching them is left alone.
 */
import { attrInt, attrInts } from '../model/graph.js'
import { graphOf, type GraphProto, type ModelProto, type NodeProto } from '../model/proto.js'
import { inferShapes, type TensorMeta } from '../model/shapes.js'
import type { ConstStore } from './prune-common.js'

/** The channels of one tensor: element ids base … base + channels − 1. */
export interface Space {
  tensor: string
  channels: number
  /** Entries of axis 1 per channel: 1 for feature maps, H·W after a Flatten of C×H×W. */
  unit: number
  base: number
}

export interface ChannelGraph {
  spaces: Map<string, Space>
  /** Tensor → why its channels must stay (first reason found). */
  blocked: Map<string, string>
  /** Convs with group 1: each output channel is an independent filter, the thing pruning removes. */
  sources: NodeProto[]
  /** Depthwise convs (group = channels): their channels follow their input's. */
  depthwise: NodeProto[]
  batchNorms: NodeProto[]
  /** Grouped convs (1 < group, not depthwise): never pruned, listed so reports can name them. */
  grouped: NodeProto[]
  find(id: number): number
  /** Static dims (batch 1) of a tensor, when known. */
  dims(name: string | undefined): number[] | undefined
  /** Values of a small constant (shape operands), when known. */
  value(name: string | undefined): number[] | undefined
}

const UNARY = new Set([
  'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus',
  'Softsign', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Erf', 'Gelu', 'Mish', 'Identity', 'Dropout',
  'Clip', 'Cast', 'Floor', 'Ceil', 'Round', 'Sign', 'ThresholdedRelu',
])
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Pow', 'PRelu'])
const POOL = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool'])
const NORM = new Set(['BatchNormalization', 'InstanceNormalization'])

class Builder {
  readonly spaces = new Map<string, Space>()
  readonly blocked = new Map<string, string>()
  readonly sources: NodeProto[] = []
  readonly depthwise: NodeProto[] = []
  readonly batchNorms: NodeProto[] = []
  readonly grouped: NodeProto[] = []
  private readonly parent: number[] = []

  constructor(
    private readonly shapes: Map<string, TensorMeta>,
    private readonly constants: Set<string>,
    private readonly store: ConstStore,
  ) {}

  find = (id: number): number => {
    let r = id
    while (this.parent[r] !== r) r = this.parent[r] ?? r
    while (this.parent[id] !== r) {
      const next = this.parent[id] ?? r
      this.parent[id] = r
      id = next
    }
    return r
  }

  private union(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }

  /**
   * Dims with symbolic ones as -1 (dynamic H×W is fine; only the channel dim must be known), or
   * undefined when the rank or the channel count is unknown.
   */
  dims(name: string | undefined): number[] | undefined {
    const shape = name ? this.shapes.get(name)?.shape : undefined
    if (!shape || (shape.length >= 2 && typeof shape[1] !== 'number')) return undefined
    return shape.map((d) => (typeof d === 'number' ? d : -1))
  }

  isConst(name: string | undefined): boolean {
    return name !== undefined && this.constants.has(name)
  }

  /** A space for a tensor with a static shape of rank ≥ 2 (else undefined). */
  newSpace(tensor: string, unit = 1, reason?: string): Space | undefined {
    const d = this.dims(tensor)
    if (!tensor || this.spaces.has(tensor) || !d || d.length < 2 || (d[1] ?? 0) % unit !== 0) return this.spaces.get(tensor)
    const space = { tensor, channels: (d[1] ?? 0) / unit, unit, base: this.parent.length }
    for (let c = 0; c < space.channels; c++) this.parent.push(space.base + c)
    this.spaces.set(tensor, space)
    if (reason) this.block(tensor, reason)
    return space
  }

  block(tensor: string, reason: string): void {
    if (this.spaces.has(tensor) && !this.blocked.has(tensor)) this.blocked.set(tensor, reason)
  }

  tie(a: Space, ca: number, b: Space, cb: number): void {
    this.union(a.base + ca, b.base + cb)
  }

  /** Output `out` carries the same channels as `from`, one for one (or is blocked if it cannot). */
  produce(node: NodeProto, out: string | undefined, from: Space): void {
    const d = this.dims(out)
    if (!out || !d || d.length < 2 || d[1] !== from.channels * from.unit) return this.unknown(node, 'changes the channel count')
    const space = this.newSpace(out, from.unit)
    if (!space) return this.unknown(node, 'has an output of unknown shape')
    for (let c = 0; c < from.channels; c++) this.tie(from, c, space, c)
  }

  /** An op the analysis cannot see through: its inputs and outputs keep all their channels. */
  unknown(node: NodeProto, why = 'is not modelled by the channel analysis'): void {
    const label = `${node.opType} '${node.name || node.output[0]}'`
    for (const i of node.input) if (i && !this.isConst(i)) this.block(i, `read by ${label}, which ${why}`)
    for (const o of node.output) if (o) this.newSpace(o, 1, `produced by ${label}, which ${why}`)
  }

  /** Values of a small constant (shape operands, pads), when known at load time. */
  value(name: string | undefined): number[] | undefined {
    return name ? this.shapes.get(name)?.value : undefined
  }

  isInitializer(name: string | undefined): boolean {
    return this.store.has(name)
  }
}

function visitConv(b: Builder, node: NodeProto): void {
  const [x, w, bias] = node.input
  const xs = x ? b.spaces.get(x) : undefined
  const wd = b.dims(w)
  if (!xs || xs.unit !== 1 || !wd || !b.isInitializer(w) || (bias && !b.isInitializer(bias))) {
    return b.unknown(node, 'has weights that are not initializers or an input of unknown shape')
  }
  const group = attrInt(node, 'group', 1)
  const out = node.output[0] ?? ''
  if (group === 1) {
    if (b.newSpace(out)) b.sources.push(node)
    return
  }
  if (group === xs.channels && wd[0] === group && wd[1] === 1) {
    b.depthwise.push(node)
    return b.produce(node, out, xs)
  }
  b.grouped.push(node)
  b.unknown(node, `is a grouped convolution (group ${group}), whose groups must keep equal sizes`)
}

/** Elementwise ops with numpy broadcasting: full-channel inputs are tied, constants get sliced. */
function visitBroadcast(b: Builder, node: NodeProto): void {
  const od = b.dims(node.output[0])
  if (!od || od.length < 2) return b.unknown(node, 'has an output of unknown shape')
  const rank = od.length
  const tied: Space[] = []
  for (const name of node.input) {
    if (!name) continue
    const d = b.dims(name)
    if (!d) return b.unknown(node, 'has an input of unknown shape')
    const axis = 1 - (rank - d.length)
    const broadcast = axis < 0 || d[axis] === 1
    if (b.isConst(name)) {
      if (!broadcast && !(d[axis] === od[1] && b.isInitializer(name))) {
        return b.unknown(node, 'has a per-channel constant that is not an initializer')
      }
      continue
    }
    const s = b.spaces.get(name)
    if (broadcast) continue
    if (!s || axis !== 1 || d[1] !== od[1]) return b.unknown(node, 'broadcasts its inputs in a way the analysis does not model')
    tied.push(s)
  }
  const first = tied[0]
  if (!first) return b.unknown(node, 'has no input with the full channel count')
  if (tied.some((s) => s.unit !== first.unit)) return b.unknown(node, 'mixes feature maps and flattened features')
  b.produce(node, node.output[0], first)
  const out = b.spaces.get(node.output[0] ?? '')
  if (out) for (const s of tied.slice(1)) for (let c = 0; c < s.channels; c++) b.tie(s, c, out, c)
}

function visitConcat(b: Builder, node: NodeProto): void {
  const od = b.dims(node.output[0])
  const inputs = node.input.map((i) => b.spaces.get(i))
  if (!od || inputs.some((s, k) => !s || b.isConst(node.input[k]))) return b.unknown(node, 'concatenates constants or tensors of unknown shape')
  const spaces = inputs as Space[]
  let axis = attrInt(node, 'axis', 1)
  if (axis < 0) axis += od.length
  const first = spaces[0]
  if (!first) return b.unknown(node)
  if (axis !== 1) {
    b.produce(node, node.output[0], first)
    const out = b.spaces.get(node.output[0] ?? '')
    if (out) for (const s of spaces.slice(1)) for (let c = 0; c < s.channels; c++) b.tie(s, c, out, c)
    return
  }
  if (spaces.some((s) => s.unit !== 1)) return b.unknown(node, 'concatenates flattened features')
  const out = b.newSpace(node.output[0] ?? '')
  if (!out || out.channels !== spaces.reduce((s, x) => s + x.channels, 0)) return b.unknown(node, 'has an inconsistent channel count')
  let offset = 0
  for (const s of spaces) {
    for (let c = 0; c < s.channels; c++) b.tie(s, c, out, offset + c)
    offset += s.channels
  }
}

/** Flatten of N×C×H×W (or a Reshape to N×(C·H·W)): each channel becomes H·W consecutive columns. */
function visitFlatten(b: Builder, node: NodeProto): void {
  const xs = b.spaces.get(node.input[0] ?? '')
  const xd = b.dims(node.input[0])
  const od = b.dims(node.output[0])
  const flat =
    xs && xd && od && xs.unit === 1 && xd.length >= 2 && od.length === 2 && xd.every((d) => d >= 0) &&
    od[0] === xd[0] && od[1] === xd.slice(1).reduce((a, c) => a * c, 1)
  if (node.opType === 'Flatten' && attrInt(node, 'axis', 1) !== 1) return b.unknown(node, 'flattens across the batch axis')
  if (!flat || !xd) return b.unknown(node, 'regroups the channel axis (e.g. a channel shuffle)')
  if (node.opType === 'Reshape') {
    // The target shape names the column count unless it is -1; it is rewritten only in an initializer.
    const target = b.value(node.input[1])
    if (!target || (target[1] !== -1 && !b.isInitializer(node.input[1]))) return b.unknown(node, 'has a target shape the pruner cannot rewrite')
  }
  const unit = xd.slice(2).reduce((a, c) => a * c, 1)
  const out = b.newSpace(node.output[0] ?? '', unit)
  if (!out) return b.unknown(node)
  for (let c = 0; c < xs.channels; c++) b.tie(xs, c, out, c)
}

/** Ops that map each channel to itself: activations, pooling, normalisation, padding, resizing. */
function visitPassThrough(b: Builder, node: NodeProto): void {
  const xs = b.spaces.get(node.input[0] ?? '')
  if (!xs || b.isConst(node.input[0])) return b.unknown(node, 'reads a tensor of unknown shape')
  // Second outputs (Dropout mask, MaxPool indices, BatchNormalization running stats) are not modelled.
  if (node.output.slice(1).some((o) => o)) return b.unknown(node, 'has extra outputs')
  const rest = node.input.slice(1)
  const op = node.opType
  if (NORM.has(op)) {
    const ok = rest.every((p) => b.isInitializer(p) && b.dims(p)?.length === 1 && b.dims(p)?.[0] === xs.channels)
    if (!ok || xs.unit !== 1) return b.unknown(node, 'has per-channel parameters that are not initializers')
    if (op === 'BatchNormalization') b.batchNorms.push(node)
  } else if (op === 'Pad') {
    if (!padsKeepChannels(b, node)) return b.unknown(node, 'pads the channel axis')
  } else if (op === 'Resize' || op === 'Upsample') {
    // Explicit output sizes name the channel count; scales only need the channel factor to be 1.
    if (op === 'Resize' && node.input[3]) return b.unknown(node, 'names its output sizes explicitly')
  } else if (rest.some((p) => p && !(b.isConst(p) && (b.dims(p) ?? []).reduce((a, c) => a * c, 1) <= 1))) {
    return b.unknown(node, 'takes a non-scalar second operand')
  }
  b.produce(node, node.output[0], xs)
}

function padsKeepChannels(b: Builder, node: NodeProto): boolean {
  const rank = b.dims(node.input[0])?.length ?? 0
  if (node.input[3]) return false // explicit axes (opset 18): not modelled
  const pads = node.input[1] ? b.value(node.input[1]) : attrInts(node, 'pads')
  return pads !== undefined && pads.length === 2 * rank && pads[1] === 0 && pads[rank + 1] === 0
}

/** Squeeze/Unsqueeze that leave axes 0 and 1 alone (e.g. N×C×1×1 → N×C after global pooling). */
function visitSqueeze(b: Builder, node: NodeProto): void {
  const xs = b.spaces.get(node.input[0] ?? '')
  const xd = b.dims(node.input[0])
  const od = b.dims(node.output[0])
  const axes = node.input[1] ? b.value(node.input[1]) : attrInts(node, 'axes')
  const rank = node.opType === 'Squeeze' ? (xd?.length ?? 0) : (od?.length ?? 0)
  const norm = axes?.map((a) => (a < 0 ? a + rank : a))
  if (!xs || xs.unit !== 1 || !norm || norm.some((a) => a <= 1)) return b.unknown(node, 'moves the channel axis')
  b.produce(node, node.output[0], xs)
}

/** Gemm / MatMul reading flattened features: the matching weight columns go with each channel. */
function visitDense(b: Builder, node: NodeProto): void {
  const [a, w, c] = node.input
  const as = a ? b.spaces.get(a) : undefined
  const ok =
    as !== undefined &&
    b.dims(a)?.length === 2 &&
    b.isInitializer(w) &&
    b.dims(w)?.length === 2 &&
    (!c || b.isConst(c)) &&
    (node.opType === 'MatMul' || attrInt(node, 'transA', 0) === 0)
  if (!ok) return b.unknown(node, 'is not a fully-connected layer on flattened features with constant weights')
  // The outputs are classes or hidden units; pruning them is out of scope (and keeps output shapes).
  for (const o of node.output) if (o) b.newSpace(o, 1, `produced by ${node.opType} '${node.name}' (fully-connected outputs are not pruned)`)
}

function visit(b: Builder, node: NodeProto): void {
  const op = node.opType
  if (node.domain && node.domain !== 'ai.onnx') return b.unknown(node, `is a ${node.domain} op`)
  if (op === 'Constant') return
  if (op === 'Conv') return visitConv(b, node)
  if (BROADCAST.has(op)) return visitBroadcast(b, node)
  if (op === 'Concat') return visitConcat(b, node)
  if (op === 'Flatten' || op === 'Reshape') return visitFlatten(b, node)
  if (op === 'Squeeze' || op === 'Unsqueeze') return visitSqueeze(b, node)
  if (op === 'Gemm' || op === 'MatMul') return visitDense(b, node)
  if (UNARY.has(op) || POOL.has(op) || NORM.has(op) || ['Pad', 'Resize', 'Upsample'].includes(op)) {
    return visitPassThrough(b, node)
  }
  const why =
    op === 'Transpose' ? 'permutes axes (e.g. a channel shuffle)' :
    op === 'Slice' || op === 'Split' ? 'cuts tensors along an axis the analysis does not model' :
    undefined
  b.unknown(node, why)
}

/** Names a node's subgraphs read from the outer scope (If / Loop / Scan bodies). */
function capturedNames(graph: GraphProto, out: Set<string>): void {
  for (const n of graph.node) {
    for (const a of n.attribute) {
      for (const g of [a.g, ...(a.graphs ?? [])]) {
        if (!g) continue
        for (const sn of g.node ?? []) for (const i of sn.input ?? []) if (i) out.add(i)
        capturedNames(g as GraphProto, out)
      }
    }
  }
}

/** Builds the channel dependency graph of a (float, ONNX-domain) model. */
export function analyzeChannels(model: ModelProto, store: ConstStore): ChannelGraph {
  const graph = graphOf(model)
  const inferred = inferShapes(model)
  const b = new Builder(inferred.tensors, inferred.constants, store)
  for (const i of graph.input) if (!inferred.constants.has(i.name)) b.newSpace(i.name, 1, 'graph input')
  for (const node of inferred.order) visit(b, node)
  for (const o of graph.output) b.block(o.name, 'graph output (outputs keep their shapes)')
  const captured = new Set<string>()
  capturedNames(graph, captured)
  for (const name of captured) b.block(name, 'read inside a subgraph')
  return {
    spaces: b.spaces,
    blocked: b.blocked,
    sources: b.sources,
    depthwise: b.depthwise,
    batchNorms: b.batchNorms,
    grouped: b.grouped,
    find: b.find,
    dims: (n) => b.dims(n),
    value: (n) => b.value(n),
  }
}
