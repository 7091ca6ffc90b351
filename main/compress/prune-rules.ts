/**
 * The channel rules of the pruning analysis, one per kind of operator: how each op maps the
 * channels of its inputs to those of its outputs (see prune-graph.ts for the union-find they
 * feed). An op no rule covers is "unknown": its inputs and outputs keep every channel, with the
 * reason shown to the user. How the ops are rewritten once channels go: prune-rewrite.ts.
 */
import { attrInt, attrInts } from '../model/graph.js'
import type { NodeProto } from '../model/proto.js'
import type { Builder, Space } from './prune-graph.js'

const UNARY = new Set([
  'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus',
  'Softsign', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Erf', 'Gelu', 'Mish', 'Identity', 'Dropout',
  'Clip', 'Cast', 'Floor', 'Ceil', 'Round', 'Sign', 'ThresholdedRelu',
])
export const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Pow', 'PRelu'])
const POOL = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool'])
const NORM = new Set(['BatchNormalization', 'InstanceNormalization'])
/** Reductions that keep the channel axis when they reduce over spatial axes only. */
export const REDUCE = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare'])

/** Convs: group 1 → a source of independent filters; grouped (and depthwise) → whole groups. */
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
  const cout = wd[0] ?? 0
  const ig = wd[1] ?? 0
  if (xs.channels !== group * ig || cout % group !== 0) return b.unknown(node, `has ${group} groups that do not divide its channels`)
  const og = cout / group
  const os = b.newSpace(out)
  if (!os || os.channels !== cout) return b.unknown(node, 'has an output of unknown shape')
  b.depthwise.push(node)
  if (ig > 1) b.grouped.push(node)
  if (ig > 1 && feedsShuffle(b, out, group)) {
    // Before a shuffle of its groups (ShuffleNet v1, CondenseNet), each group loses the same
    // filters and the same input channels: "columns" across groups, which the shuffle keeps together.
    b.columns.add(node)
    for (let k = 1; k < group; k++) {
      for (let i = 0; i < ig; i++) b.tie(xs, i, xs, k * ig + i)
      for (let o = 0; o < og; o++) b.tie(os, o, os, k * og + o)
    }
    return
  }
  // A group's input channels and output channels go (or stay) together, so groups keep equal sizes.
  for (let k = 0; k < group; k++) {
    for (let i = 1; i < ig; i++) b.tie(xs, k * ig, xs, k * ig + i)
    for (let o = 0; o < og; o++) b.tie(xs, k * ig, os, k * og + o)
  }
}

/** Whether `tensor` reaches (through elementwise activations) a Reshape into [N, groups, …]: a shuffle. */
function feedsShuffle(b: Builder, tensor: string, groups: number): boolean {
  let t: string | undefined = tensor
  for (let step = 0; step < 3 && t; step++) {
    const r = soleReader(b, t)
    if (!r) return false
    if (r.opType === 'Reshape') return b.dims(r.output[0])?.[1] === groups && b.dims(r.output[0])?.length === (b.dims(t)?.length ?? 0) + 1
    if (!UNARY.has(r.opType)) return false
    t = r.output[0]
  }
  return false
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
    // A 1-channel input broadcasts, unless the output has one channel too (then it is full).
    const broadcast = axis < 0 || (d[axis] === 1 && od[1] !== 1)
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

/** Split on the channel axis: output k holds the next slice of channels; on other axes every output holds all. */
function visitSplit(b: Builder, node: NodeProto): void {
  const xs = b.spaces.get(node.input[0] ?? '')
  const xd = b.dims(node.input[0])
  if (!xs || !xd || b.isConst(node.input[0])) return b.unknown(node, 'reads a tensor of unknown shape')
  let axis = attrInt(node, 'axis', 0)
  if (axis < 0) axis += xd.length
  if (axis !== 1) {
    for (const o of node.output) if (o) b.produce(node, o, xs)
    return
  }
  if (xs.unit !== 1) return b.unknown(node, 'splits flattened features')
  if (node.input[1] && !b.isInitializer(node.input[1])) return b.unknown(node, 'has split sizes that are not constants')
  const sizes = node.output.map((o) => b.dims(o)?.[1])
  if (sizes.some((s) => s === undefined || s < 0) || sizes.reduce<number>((a, s) => a + (s ?? 0), 0) !== xs.channels) {
    return b.unknown(node, 'has outputs of unknown shape')
  }
  let offset = 0
  for (const o of node.output) {
    const s = b.newSpace(o)
    if (!s) return b.unknown(node, 'has an output of unknown shape')
    for (let c = 0; c < s.channels; c++) b.tie(xs, offset + c, s, c)
    offset += s.channels
  }
}

/** Slice parameters as numbers (inputs from opset 10, attributes before), or undefined. */
export function sliceParams(b: { value(n: string | undefined): number[] | undefined }, node: NodeProto, opset: number): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } | undefined {
  const old = opset < 10
  const starts = old ? attrInts(node, 'starts') : b.value(node.input[1])
  const ends = old ? attrInts(node, 'ends') : b.value(node.input[2])
  if (!starts || !ends) return undefined
  const axes = (old ? attrInts(node, 'axes') : node.input[3] ? b.value(node.input[3]) : undefined) ?? starts.map((_, i) => i)
  const steps = (!old && node.input[4] ? b.value(node.input[4]) : undefined) ?? starts.map(() => 1)
  return { starts, ends, axes, steps }
}

/** [start, end) on an axis of `dim` entries with step 1, clamped as ONNX does. */
export function sliceRange(start: number, end: number, dim: number): [number, number] {
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim)
  return [clamp(start), clamp(end)]
}

/** Slice on the channel axis (step 1): output channel c is input channel start + c. */
function visitSlice(b: Builder, node: NodeProto): void {
  const xs = b.spaces.get(node.input[0] ?? '')
  const xd = b.dims(node.input[0])
  const p = sliceParams(b, node, b.opset)
  if (!xs || !xd || !p || b.isConst(node.input[0])) return b.unknown(node, 'has slice bounds that are not constants')
  const k = p.axes.findIndex((a) => (a < 0 ? a + xd.length : a) === 1)
  if (k < 0) return b.produce(node, node.output[0], xs)
  const rewritable = b.opset < 10 || (b.isInitializer(node.input[1]) && b.isInitializer(node.input[2]))
  if (xs.unit !== 1 || p.steps[k] !== 1 || !rewritable) return b.unknown(node, 'slices the channel axis with a step or bounds the pruner cannot rewrite')
  const [start, end] = sliceRange(p.starts[k] ?? 0, p.ends[k] ?? 0, xs.channels)
  const out = b.newSpace(node.output[0] ?? '')
  if (!out || out.channels !== end - start) return b.unknown(node, 'has an output of unknown shape')
  for (let c = 0; c < out.channels; c++) b.tie(xs, start + c, out, c)
}

/** ReduceMean / ReduceMax … over spatial axes only (global pooling written as x.mean((2, 3))). */
function visitReduce(b: Builder, node: NodeProto): void {
  const xs = b.spaces.get(node.input[0] ?? '')
  const rank = b.dims(node.input[0])?.length ?? 0
  const axes = attrInts(node, 'axes') ?? (node.input[1] ? b.value(node.input[1]) : undefined)
  if (!xs || xs.unit !== 1 || !axes || axes.length === 0) return b.unknown(node, 'reduces over every axis')
  if (axes.some((a) => (a < 0 ? a + rank : a) <= 1)) return b.unknown(node, 'reduces over the batch or channel axis')
  b.produce(node, node.output[0], xs)
}

/** The one node reading `tensor`, when exactly one does. */
function soleReader(b: Builder, tensor: string | undefined): NodeProto | undefined {
  const readers = b.index.consumersOf(tensor)
  return readers.length === 1 && !b.index.outputs.has(tensor ?? '') ? readers[0] : undefined
}

/**
 * Channel shuffle: Reshape([N, p, q, …]) → Transpose(perm swaps 1 and 2) → Reshape([N, p·q, …]).
 * Input channel a·q + c lands at output c·p + a; the p input channels of one column c must go
 * together, so the shuffled tensor keeps p equal groups. True when the pattern matched.
 */
function visitShuffle(b: Builder, node: NodeProto): boolean {
  const xs = b.spaces.get(node.input[0] ?? '')
  const xd = b.dims(node.input[0])
  const sd = b.dims(node.output[0])
  const t = soleReader(b, node.output[0])
  const m = soleReader(b, t?.output[0])
  const md = b.dims(m?.output[0])
  if (!xs || xs.unit !== 1 || !xd || !sd || !t || !m || !md || xd.length < 3 || sd.length !== xd.length + 1) return false
  const [p, q] = [sd[1] ?? 0, sd[2] ?? 0]
  const perm = attrInts(t, 'perm')
  const swaps = perm !== undefined && perm.length === sd.length && perm.every((v, i) => v === (i === 1 ? 2 : i === 2 ? 1 : i))
  const same = (a: number[], c: number[]): boolean => a.length === c.length && a.every((v, i) => v === c[i])
  if (t.opType !== 'Transpose' || m.opType !== 'Reshape' || !swaps || p * q !== xs.channels) return false
  if (!same(sd.slice(3), xd.slice(2)) || !same(md, xd)) return false
  if (!b.isInitializer(node.input[1]) || !b.isInitializer(m.input[1])) return false
  const out = b.newSpace(m.output[0] ?? '')
  if (!out) return false
  for (let a = 0; a < p; a++) {
    for (let c = 0; c < q; c++) {
      b.tie(xs, a * q + c, out, c * p + a)
      b.tie(xs, c, xs, a * q + c)
    }
  }
  b.handled.add(t)
  b.handled.add(m)
  b.shuffles.push({ split: node, merge: m, p })
  return true
}

/** Flatten of N×C×H×W (or a Reshape to N×(C·H·W)): each channel becomes H·W consecutive columns. */
function visitFlatten(b: Builder, node: NodeProto): void {
  if (node.opType === 'Reshape' && visitShuffle(b, node)) return
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

function padsKeepChannels(b: Builder, node: NodeProto): boolean {
  const rank = b.dims(node.input[0])?.length ?? 0
  if (node.input[3]) return false // explicit axes (opset 18): not modelled
  const pads = node.input[1] ? b.value(node.input[1]) : attrInts(node, 'pads')
  return pads !== undefined && pads.length === 2 * rank && pads[1] === 0 && pads[rank + 1] === 0
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

export function visit(b: Builder, node: NodeProto): void {
  const op = node.opType
  if (node.domain && node.domain !== 'ai.onnx') return b.unknown(node, `is a ${node.domain} op`)
  if (op === 'Constant') return
  if (op === 'Conv') return visitConv(b, node)
  if (BROADCAST.has(op)) return visitBroadcast(b, node)
  if (op === 'Concat') return visitConcat(b, node)
  if (op === 'Split') return visitSplit(b, node)
  if (op === 'Slice') return visitSlice(b, node)
  if (REDUCE.has(op)) return visitReduce(b, node)
  if (op === 'Flatten' || op === 'Reshape') return visitFlatten(b, node)
  if (op === 'Squeeze' || op === 'Unsqueeze') return visitSqueeze(b, node)
  if (op === 'Gemm' || op === 'MatMul') return visitDense(b, node)
  if (UNARY.has(op) || POOL.has(op) || NORM.has(op) || ['Pad', 'Resize', 'Upsample'].includes(op)) {
    return visitPassThrough(b, node)
  }
  b.unknown(node, op === 'Transpose' ? 'permutes axes' : undefined)
}
