/**
 * Applies a pruning plan to a (copied) model: slices every initializer that indexes a pruned
 * channel — conv filters (dim 0) and their inputs (dim 1), biases, depthwise filters, BN
 * parameters, per-channel constants, the columns of a Gemm after a Flatten — and keeps the
 * shape annotations in step.
 */
import { attrInt } from '../model/graph.js'
import { graphOf, onnx, type ModelProto, type NodeProto } from '../model/proto.js'
import { ElemType, tensorDims } from '../model/tensor.js'
import { sliceTensor, writeTensor, type ConstStore } from './prune-common.js'
import type { ChannelGraph } from './prune-graph.js'

const PER_CHANNEL_PARAMS = new Set(['BatchNormalization', 'InstanceNormalization'])
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Pow', 'PRelu'])

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
  let weight = w
  if (keepOut) weight = sliceTensor(weight, 0, keepOut)
  // A depthwise filter has one input channel each; its input follows its output.
  if (keepIn && group === 1) weight = sliceTensor(weight, 1, keepIn)
  ctx.store.replace(node, 1, weight)
  if (keepOut && node.input[2]) slice(ctx, node, 2, 0, keepOut)
  if (group !== 1 && keepOut) {
    const a = node.attribute.find((x) => x.name === 'group')
    if (a) a.i = keepOut.length
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
  for (const node of graph.node) {
    if (node.domain && node.domain !== 'ai.onnx') continue
    const op = node.opType
    if (op === 'Conv') rewriteConv(ctx, node)
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
