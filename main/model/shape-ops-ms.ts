/**
 * Shape rules of the com.microsoft operators ONNX Runtime's quantization and graph optimizer
 * write into saved models (QLinearAdd, QLinearConcat, QGemm, FusedConv, …). Layout-changing
 * domains (com.microsoft.nchwc) have no rules on purpose: their blocked shapes are left to the
 * runtime pass.
 */
import { attrInt } from './graph.js'
import { at, nary, unary } from './shape-ops-elementwise.js'
import type { Dim } from '../../common/types.js'
import { convRule, dtypeOf, gemm, globalPool, matmulShape, poolRule } from './shape-ops-nn.js'
import { TENSOR_RULES } from './shape-ops-tensor.js'
import { shapeOf, unknown, type ShapeRule } from './shape-util.js'

/** Output type of a QLinear op: its output zero point's, else its input's. */
const qUnary =
  (zpIndex: number): ShapeRule =>
  (r) => [{ dtype: r.ins[zpIndex]?.dtype ?? r.ins[0]?.dtype ?? 0, shape: shapeOf(r.ins[0]) }]

/** Inputs: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per concatenated tensor. */
const qConcat: ShapeRule = (r) => {
  const xs = r.ins.filter((_, i) => i >= 2 && (i - 2) % 3 === 0)
  const out = TENSOR_RULES.Concat!({ node: r.node, ins: xs, opset: r.opset })
  return out.map((m) => ({ ...m, dtype: r.ins[1]?.dtype ?? m.dtype }))
}

const qGlobalPool: ShapeRule = (r) => {
  if (attrInt(r.node, 'channels_last', 0) === 0) return globalPool(r)
  const x = shapeOf(r.ins[0])
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: [x[0] ?? 1, ...x.slice(1, -1).map(() => 1), x[x.length - 1] ?? '?'] }]
}

const qPool: ShapeRule = (r) => (attrInt(r.node, 'channels_last', 0) === 0 ? poolRule(0)(r) : unknown())

/** MatMul with optional transposes of the last two dims of A and B folded in by ORT. */
const fusedMatMul: ShapeRule = (r) => {
  if (attrInt(r.node, 'transBatchA', 0) || attrInt(r.node, 'transBatchB', 0)) unknown()
  const swap = (s: Dim[], on: boolean): Dim[] =>
    on && s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!] : s
  const a = swap(shapeOf(r.ins[0]), attrInt(r.node, 'transA', 0) === 1)
  const b = swap(shapeOf(r.ins[1]), attrInt(r.node, 'transB', 0) === 1)
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: matmulShape(a, b) }]
}

const qGemm: ShapeRule = (r) => {
  const [out] = gemm({ ...r, ins: [r.ins[0], r.ins[3]] })
  return [{ dtype: r.ins[8]?.dtype ?? out?.dtype ?? 0, shape: out?.shape ?? null }]
}

export const MS_RULES: Record<string, ShapeRule> = {
  FusedConv: convRule(0, 1, dtypeOf(0)),
  FusedGemm: gemm,
  FusedMatMul: fusedMatMul,
  QGemm: qGemm,
  QLinearAdd: nary(undefined, at(7), [0, 3]),
  QLinearMul: nary(undefined, at(7), [0, 3]),
  QLinearSigmoid: qUnary(4),
  QLinearLeakyRelu: qUnary(4),
  QLinearSoftmax: qUnary(4),
  QLinearConcat: qConcat,
  QLinearGlobalAveragePool: qGlobalPool,
  QLinearAveragePool: qPool,
  Gelu: unary(),
  FastGelu: unary(),
  BiasGelu: unary(),
  QuickGelu: unary(),
  QuantizeLinear: (r) => [{ dtype: r.ins[2]?.dtype ?? 2, shape: shapeOf(r.ins[0]) }],
  DequantizeLinear: (r) => [{ dtype: r.ins[1]?.dtype ?? 1, shape: shapeOf(r.ins[0]) }],
  DynamicQuantizeMatMul: (r) => [{ dtype: 1, shape: matmulShape(shapeOf(r.ins[0]), shapeOf(r.ins[1])) }],
}
