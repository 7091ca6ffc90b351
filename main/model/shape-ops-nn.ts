/**
 * Shape rules of the CNN operators: convolution, pooling, Gemm/MatMul, Pad, Resize, and their
 * quantized forms. Formulas follow the ONNX operator specification (and ORT where they differ:
 * ceil-mode pooling drops a last window that would start in the right padding).
 */
import type { Dim } from '../../common/types.js'
import { attrFloats, attrInt, attrInts, attrString } from './graph.js'
import type { NodeProto } from './proto.js'
import { ElemType } from './tensor.js'
import {
  broadcast,
  dimOp,
  normAxis,
  shapeOf,
  unknown,
  valueOf,
  type RuleInput,
  type ShapeRule,
  type TensorMeta,
} from './shape-util.js'

interface Window {
  kernel: Dim[]
  strides: number[]
  dilations: number[]
  pads: number[]
  autoPad: string
}

function windowOf(node: NodeProto, spatial: number, kernel: Dim[]): Window {
  const ones = new Array<number>(spatial).fill(1)
  return {
    kernel,
    strides: attrInts(node, 'strides') ?? ones,
    dilations: attrInts(node, 'dilations') ?? ones,
    pads: attrInts(node, 'pads') ?? new Array<number>(spatial * 2).fill(0),
    autoPad: attrString(node, 'auto_pad', 'NOTSET'),
  }
}

/** Output size of one spatial axis of a convolution or pooling window. */
function windowOut(inDim: Dim, i: number, w: Window, spatial: number, ceilMode: boolean): Dim {
  const k = w.kernel[i]
  const s = w.strides[i] ?? 1
  const d = w.dilations[i] ?? 1
  if (typeof inDim !== 'number' || typeof k !== 'number') return '?'
  const span = d * (k - 1) + 1
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(inDim / s)
  if (w.autoPad === 'VALID') return Math.floor((inDim - span) / s) + 1
  const begin = w.pads[i] ?? 0
  const total = inDim + begin + (w.pads[i + spatial] ?? 0) - span
  if (!ceilMode) return Math.floor(total / s) + 1
  let out = Math.ceil(total / s) + 1
  if ((out - 1) * s >= inDim + begin) out -= 1
  return out
}

function spatialOut(x: Dim[], w: Window, ceilMode: boolean): Dim[] {
  const spatial = x.length - 2
  return x.slice(2).map((d, i) => windowOut(d, i, w, spatial, ceilMode))
}

/** Conv-like: x at `xi`, weights [Cout, Cin/g, k...] at `wi`. */
export function convRule(xi: number, wi: number, dtype: (r: RuleInput) => number): ShapeRule {
  return (r) => {
    const x = shapeOf(r.ins[xi])
    const wShape = r.ins[wi]?.shape ?? null
    const spatial = x.length - 2
    const kernel: Dim[] = attrInts(r.node, 'kernel_shape') ?? wShape?.slice(2) ?? unknown()
    const cout: Dim = wShape?.[0] ?? '?'
    const out = [x[0] ?? 1, cout, ...spatialOut(x, windowOf(r.node, spatial, kernel), false)]
    return [{ dtype: dtype(r), shape: out }]
  }
}

const convTranspose: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const wShape = shapeOf(r.ins[1])
  const spatial = x.length - 2
  const group = attrInt(r.node, 'group', 1)
  const cout = dimOp(wShape[1] ?? '?', group, (a, b) => a * b)
  const given = attrInts(r.node, 'output_shape')
  if (given) return [{ dtype: r.ins[0]?.dtype ?? 0, shape: [x[0] ?? 1, cout, ...given.slice(-spatial)] }]
  const w = windowOf(r.node, spatial, attrInts(r.node, 'kernel_shape') ?? wShape.slice(2))
  const outPad = attrInts(r.node, 'output_padding') ?? new Array<number>(spatial).fill(0)
  const dims = x.slice(2).map((d, i): Dim => {
    const k = w.kernel[i]
    const s = w.strides[i] ?? 1
    if (typeof d !== 'number' || typeof k !== 'number') return '?'
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return d * s
    const span = (w.dilations[i] ?? 1) * (k - 1) + 1
    return s * (d - 1) + (outPad[i] ?? 0) + span - (w.pads[i] ?? 0) - (w.pads[i + spatial] ?? 0)
  })
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: [x[0] ?? 1, cout, ...dims] }]
}

export function poolRule(xi: number): ShapeRule {
  return (r) => {
    const x = shapeOf(r.ins[xi])
    const kernel = attrInts(r.node, 'kernel_shape') ?? unknown()
    const ceil = attrInt(r.node, 'ceil_mode', 0) === 1
    const out = [x[0] ?? 1, x[1] ?? '?', ...spatialOut(x, windowOf(r.node, x.length - 2, kernel), ceil)]
    const metas: TensorMeta[] = [{ dtype: r.ins[xi]?.dtype ?? 0, shape: out }]
    if (r.node.output.length > 1) metas.push({ dtype: ElemType.INT64, shape: out }) // MaxPool indices
    return metas
  }
}

export const globalPool: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: [x[0] ?? 1, x[1] ?? '?', ...x.slice(2).map(() => 1)] }]
}

export const gemm: ShapeRule = (r) => {
  const a = shapeOf(r.ins[0])
  const b = shapeOf(r.ins[1])
  const m = attrInt(r.node, 'transA', 0) ? a[1] : a[0]
  const n = attrInt(r.node, 'transB', 0) ? b[0] : b[1]
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: [m ?? '?', n ?? '?'] }]
}

/** Numpy matmul shape, including 1-D operands and broadcast batch dims. */
export function matmulShape(a: Dim[], b: Dim[]): Dim[] {
  const a2 = a.length === 1 ? [1, a[0] ?? '?'] : a
  const b2 = b.length === 1 ? [b[0] ?? '?', 1] : b
  const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)])
  const out = [...batch, a2[a2.length - 2] ?? '?', b2[b2.length - 1] ?? '?']
  if (b.length === 1) out.pop()
  if (a.length === 1) out.splice(out.length - (b.length === 1 ? 1 : 2), 1)
  return out
}

export function matmulRule(ai: number, bi: number, dtype: (r: RuleInput) => number): ShapeRule {
  return (r) => [{ dtype: dtype(r), shape: matmulShape(shapeOf(r.ins[ai]), shapeOf(r.ins[bi])) }]
}

const pad: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const pads = r.opset >= 11 ? valueOf(r.ins[1]) : (attrInts(r.node, 'pads') ?? unknown())
  const rank = x.length
  const axesIn = r.ins[3]
  const axes = axesIn ? valueOf(axesIn).map((a) => normAxis(a, rank)) : x.map((_, i) => i)
  const n = axes.length
  const out = [...x]
  axes.forEach((axis, i) => {
    out[axis] = dimOp(x[axis] ?? '?', (pads[i] ?? 0) + (pads[i + n] ?? 0), (d, p) => d + p)
  })
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: out }]
}

const resize: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const dtype = r.ins[0]?.dtype ?? 0
  // Opset 10 Resize and Upsample take scales as input 1; later Resize as input 2, sizes as 3.
  const scalesIn = r.node.opType === 'Upsample' || r.opset < 11 ? r.ins[1] : r.ins[2]
  const sizesIn = r.node.opType === 'Resize' && r.opset >= 11 ? r.ins[3] : undefined
  const axes = (attrInts(r.node, 'axes') ?? x.map((_, i) => i)).map((a) => normAxis(a, x.length))
  const out = [...x]
  if (sizesIn && sizesIn.value && sizesIn.value.length > 0) {
    axes.forEach((axis, i) => (out[axis] = sizesIn.value![i] ?? out[axis]!))
    return [{ dtype, shape: out }]
  }
  const scales = scalesIn?.value ?? attrFloats(r.node, 'scales') ?? unknown()
  if (scales.length === 0) unknown()
  axes.forEach((axis, i) => {
    out[axis] = dimOp(x[axis] ?? '?', scales[i] ?? 1, (d, s) => Math.floor(d * s))
  })
  return [{ dtype, shape: out }]
}

const spaceDepth: ShapeRule = (r) => {
  const [n, c, h, w] = shapeOf(r.ins[0])
  const b = attrInt(r.node, 'blocksize', 1)
  const toDepth = r.node.opType === 'SpaceToDepth'
  const mul = (d: Dim | undefined, f: number): Dim => dimOp(d ?? '?', f, (a, k) => (toDepth ? a / k : a * k))
  const cOut = dimOp(c ?? '?', b * b, (a, k) => (toDepth ? a * k : a / k))
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: [n ?? 1, cOut, mul(h, b), mul(w, b)] }]
}

export const dtypeOf =
  (i: number): ((r: RuleInput) => number) =>
  (r) =>
    r.ins[i]?.dtype ?? 0
const int32 = (): number => ElemType.INT32

export const NN_RULES: Record<string, ShapeRule> = {
  Conv: convRule(0, 1, dtypeOf(0)),
  ConvInteger: convRule(0, 1, int32),
  QLinearConv: convRule(0, 3, dtypeOf(7)),
  ConvTranspose: convTranspose,
  MaxPool: poolRule(0),
  AveragePool: poolRule(0),
  LpPool: poolRule(0),
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  Gemm: gemm,
  MatMul: matmulRule(0, 1, dtypeOf(0)),
  MatMulInteger: matmulRule(0, 1, int32),
  QLinearMatMul: matmulRule(0, 3, dtypeOf(7)),
  Pad: pad,
  Resize: resize,
  Upsample: resize,
  DepthToSpace: spaceDepth,
  SpaceToDepth: spaceDepth,
}
