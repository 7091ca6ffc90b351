/**
 * Applies a pruning plan to a (copied) model: slices every initializer that indexes a pruned
 * channel — conv filters (dim 0) and their inputs (dim 1), biases, depthwise filters, BN
 * parameters, per-channel constants, the columns of a Gemm after a Flatten — rewrites the
 * counts ops name (group, Split sizes, Slice bounds, shuffle and flatten Reshape targets), and
 * keeps the shape annotations in step.
 */
import { attrInt } from '../model/graph.js'
import { graphOf, onnx, type AttributeProto, type ModelProto, type NodeProto } from '../model/proto.js'
import { ElemType, tensorDims } from '../model/tensor.js'
import { sliceTensor, writeTensor, type ConstStore } from './prune-common.js'
import type { ChannelGraph } from './prune-graph.js'
import { BROADCAST, sliceParams, sliceRange } from './prune-rules.js'

const PER_CHANNEL_PARAMS = new Set(['BatchNormalization', 'InstanceNormalization'])

interface Ctx {
  cg: ChannelGraph
  store: ConstStore
  kept: Map<string, number[]>
}

function slice(ctx: Ctx, node: NodeProto, input: number, axis: number, keep: number[], unit = 1): void {
  const t = ctx.store.get(node.input[input])
  if (t) ctx.store.replace(node, input, sliceTensor(t, axis, keep, unit))
}

function rewriteConv(ctx: Ctx, node: NodeProto): void {
  const keepOut = ctx.kept.get(node.output[0] ?? '')
  const keepIn = ctx.kept.get(node.input[0] ?? '')
  if (!keepOut && !keepIn) return
  const w = ctx.store.get(node.input[1])
  if (!w) return
  const group = attrInt(node, 'group', 1)
  const cout = tensorDims(w)[0] ?? 0
  let weight = w
  if (keepOut) weight = sliceTensor(weight, 0, keepOut)
  const columns = ctx.cg.columns.has(node)
  // A grouped filter reads its own group's inputs: pruned by columns, each group loses the same
  // ones (those of group 0 say which); pruned by whole groups, its input dim stays.
  const ig = tensorDims(w)[1] ?? 1
  if (keepIn && (group === 1 || columns)) weight = sliceTensor(weight, 1, group === 1 ? keepIn : keepIn.filter((c) => c < ig))
  ctx.store.replace(node, 1, weight)
  if (keepOut && node.input[2]) slice(ctx, node, 2, 0, keepOut)
  if (group !== 1 && keepOut && !columns) {
    const a = node.attribute.find((x) => x.name === 'group')
    if (a) a.i = keepOut.length / (cout / group)
  }
}

/** New channel counts per output of a Split on the channel axis. */
function rewriteSplit(ctx: Ctx, node: NodeProto): void {
  const rank = ctx.cg.dims(node.input[0])?.length ?? 0
  let axis = attrInt(node, 'axis', 0)
  if (axis < 0) axis += rank
  if (axis !== 1 || !node.output.some((o) => ctx.kept.has(o))) return
  const sizes = node.output.map((o) => ctx.kept.get(o)?.length ?? ctx.cg.spaces.get(o)?.channels ?? 0)
  const attr = node.attribute.find((a) => a.name === 'split')
  if (ctx.cg.opset < 13 || attr) {
    if (attr) attr.ints = sizes
    else node.attribute.push(onnx.AttributeProto.create({ name: 'split', type: onnx.AttributeProto.AttributeType.INTS, ints: sizes }) as AttributeProto)
    return
  }
  // Opset 18 splits equally by num_outputs; explicit sizes replace it.
  node.attribute = node.attribute.filter((a) => a.name !== 'num_outputs')
  const t = writeTensor('split', [sizes.length], sizes, ElemType.INT64)
  if (node.input[1]) ctx.store.replace(node, 1, t)
  else ctx.store.add(node, 1, t, `${node.name || 'Split'}_sizes`)
}

/** A Slice of the channel axis gets the bounds of its kept channels in the pruned input. */
function rewriteSlice(ctx: Ctx, node: NodeProto): void {
  const keepIn = ctx.kept.get(node.input[0] ?? '')
  const keepOut = ctx.kept.get(node.output[0] ?? '')
  const xs = ctx.cg.spaces.get(node.input[0] ?? '')
  const p = sliceParams(ctx.cg, node, ctx.cg.opset)
  const rank = ctx.cg.dims(node.input[0])?.length ?? 0
  const k = p ? p.axes.findIndex((a) => (a < 0 ? a + rank : a) === 1) : -1
  if (!p || !xs || k < 0 || (!keepIn && !keepOut)) return
  const [start] = sliceRange(p.starts[k] ?? 0, p.ends[k] ?? 0, xs.channels)
  const before = keepIn ? keepIn.filter((c) => c < start).length : start
  const count = keepOut?.length ?? ctx.cg.spaces.get(node.output[0] ?? '')?.channels ?? 0
  const starts = p.starts.map((v, i) => (i === k ? before : v))
  const ends = p.ends.map((v, i) => (i === k ? before + count : v))
  if (ctx.cg.opset < 10) {
    for (const a of node.attribute) if (a.name === 'starts') a.ints = starts
    for (const a of node.attribute) if (a.name === 'ends') a.ints = ends
    return
  }
  for (const [i, values] of [[1, starts], [2, ends]] as const) {
    const t = ctx.store.get(node.input[i])
    // Out-of-range bounds (INT64_MAX for "to the end") are clamped to what they meant.
    if (t) ctx.store.replace(node, i, writeTensor(t.name, tensorDims(t), values.map((v) => Math.max(Math.min(v, 2 ** 53), -(2 ** 53))), t.dataType || ElemType.INT64))
  }
}

/** Writes `value` at `at` in a Reshape's constant target shape (entries of 0 / −1 infer themselves). */
function setTarget(ctx: Ctx, node: NodeProto, at: number, value: number): void {
  const t = ctx.store.get(node.input[1])
  const values = ctx.cg.value(node.input[1])
  if (!t || !values || values[at] === -1 || values[at] === 0) return
  ctx.store.replace(node, 1, writeTensor(t.name, tensorDims(t), values.map((v, i) => (i === at ? value : v)), t.dataType || ElemType.INT64))
}

/** A channel shuffle keeps its p groups; each loses the same columns. */
function rewriteShuffles(ctx: Ctx): void {
  for (const s of ctx.cg.shuffles) {
    const keep = ctx.kept.get(s.split.input[0] ?? '')
    if (!keep) continue
    setTarget(ctx, s.split, 2, keep.length / s.p)
    setTarget(ctx, s.merge, 1, keep.length)
  }
}

function rewriteBroadcast(ctx: Ctx, node: NodeProto): void {
  const out = node.output[0] ?? ''
  const keep = ctx.kept.get(out)
  const space = ctx.cg.spaces.get(out)
  if (!keep || !space) return
  const full = space.channels * space.unit
  const outRank = ctx.cg.dims(out)?.length ?? 0
  node.input.forEach((name, k) => {
    const t = ctx.store.get(name)
    if (!t) return
    // Constants broadcast from the right, as in numpy.
    const d = tensorDims(t)
    const axis = 1 - (outRank - d.length)
    if (axis >= 0 && d[axis] === full && full !== 1) slice(ctx, node, k, axis, keep, space.unit)
  })
}

function rewriteDense(ctx: Ctx, node: NodeProto): void {
  const keep = ctx.kept.get(node.input[0] ?? '')
  const space = ctx.cg.spaces.get(node.input[0] ?? '')
  if (!keep || !space) return
  const axis = node.opType === 'Gemm' && attrInt(node, 'transB', 0) === 1 ? 1 : 0
  slice(ctx, node, 1, axis, keep, space.unit)
}

/** A Reshape to N×(C·H·W) that names its column count gets the new count. */
function rewriteReshape(ctx: Ctx, node: NodeProto): void {
  const keep = ctx.kept.get(node.input[0] ?? '')
  const flat = ctx.cg.spaces.get(node.output[0] ?? '')
  const shape = ctx.store.get(node.input[1])
  if (!keep || !flat || !shape) return
  const dims = tensorDims(shape)
  const values = ctx.cg.value(node.input[1])
  if (!values || values.length !== 2 || values[1] === -1) return
  ctx.store.replace(node, 1, writeTensor(shape.name, dims, [values[0] ?? 0, keep.length * flat.unit], shape.dataType || ElemType.INT64))
}

/** Rewrites the model in place (the caller passes a copy). */
export function applyPlan(model: ModelProto, cg: ChannelGraph, store: ConstStore, kept: Map<string, number[]>): void {
  const ctx: Ctx = { cg, store, kept }
  const graph = graphOf(model)
  const shuffleNodes = new Set(cg.shuffles.flatMap((s) => [s.split, s.merge]))
  rewriteShuffles(ctx)
  for (const node of graph.node) {
    if ((node.domain && node.domain !== 'ai.onnx') || shuffleNodes.has(node)) continue
    const op = node.opType
    if (op === 'Conv') rewriteConv(ctx, node)
    else if (op === 'Split') rewriteSplit(ctx, node)
    else if (op === 'Slice') rewriteSlice(ctx, node)
    else if (PER_CHANNEL_PARAMS.has(op)) {
      const keep = kept.get(node.output[0] ?? '')
      if (keep) for (let k = 1; k < node.input.length; k++) slice(ctx, node, k, 0, keep)
    } else if (BROADCAST.has(op)) rewriteBroadcast(ctx, node)
    else if (op === 'Gemm' || op === 'MatMul') rewriteDense(ctx, node)
    else if (op === 'Reshape') rewriteReshape(ctx, node)
  }
  // Annotations of pruned tensors: the channel dim follows; anything else about them is unchanged.
  for (const vi of graph.valueInfo) {
    const keep = kept.get(vi.name)
    const space = cg.spaces.get(vi.name)
    const dims = vi.type?.tensorType?.shape?.dim
    if (keep && space && dims && dims.length > 1) dims[1] = onnx.TensorShapeProto.Dimension.create({ dimValue: keep.length * space.unit })
  }
}
