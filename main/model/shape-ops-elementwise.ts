/**
 * Shape rules of element-wise operators, constants and casts. Integer arithmetic on constants
 * truncates like the runtime, so `Div(dim, 2)` in an exported channel shuffle gives the same
 * Reshape target ORT computes.
 */
import type { Dim } from '../../common/types.js'
import { attrFloat, attrFloats, attrInt, attrInts, attrTensor } from './graph.js'
import {
  broadcast,
  evalElementwise,
  isIntType,
  MAX_CONST_ELEMENTS,
  numel,
  shapeOf,
  unknown,
  valueOf,
  type RuleInput,
  type ShapeRule,
  type TensorMeta,
} from './shape-util.js'
import { ElemType, tensorDims, tensorValues } from './tensor.js'

type Fn1 = (x: number) => number
type FnN = (xs: number[]) => number

export function unary(fn?: Fn1, dtype?: number): ShapeRule {
  return (r) => {
    const x = r.ins[0]
    const s = shapeOf(x)
    const value = fn && x?.value ? x.value.map(fn) : undefined
    const outs: TensorMeta[] = [{ dtype: dtype ?? x?.dtype ?? 0, shape: s, value }]
    // Dropout's optional mask, BatchNormalization/LayerNormalization extras: shape unknown here.
    for (let i = 1; i < r.node.output.length; i++) {
      outs.push(r.node.opType === 'Dropout' ? { dtype: ElemType.BOOL, shape: s } : { dtype: x?.dtype ?? 0, shape: null })
    }
    return outs
  }
}

export function nary(fn: FnN | undefined, outDtype?: (r: RuleInput) => number, inputs?: number[]): ShapeRule {
  return (r) => {
    const ins = inputs ? inputs.map((i) => r.ins[i]) : r.ins.filter((m) => m !== undefined)
    const shape = broadcast(ins.map((m) => shapeOf(m)))
    const dtype = outDtype ? outDtype(r) : (ins[0]?.dtype ?? 0)
    const int = isIntType(dtype)
    const value = fn ? evalElementwise(ins, shape, (xs) => (int ? Math.trunc(fn(xs)) : fn(xs))) : undefined
    return [{ dtype, shape, value }]
  }
}

const bool = (): number => ElemType.BOOL
/** The dtype of input i (a quantized op's output zero point), else of input 0. */
export const at =
  (i: number): ((r: RuleInput) => number) =>
  (r) =>
    r.ins[i]?.dtype ?? r.ins[0]?.dtype ?? 0

const constant: ShapeRule = (r) => {
  const t = attrTensor(r.node, 'value')
  if (t) {
    const shape = tensorDims(t)
    const small = (numel(shape) ?? 0) <= MAX_CONST_ELEMENTS && t.dataType !== ElemType.STRING
    return [{ dtype: t.dataType, shape, value: small ? Array.from(tensorValues(t)) : undefined }]
  }
  const ints = attrInts(r.node, 'value_ints')
  if (ints) return [{ dtype: ElemType.INT64, shape: [ints.length], value: ints }]
  const floats = attrFloats(r.node, 'value_floats')
  if (floats) return [{ dtype: ElemType.FLOAT, shape: [floats.length], value: floats }]
  if (r.node.attribute.some((a) => a.name === 'value_int')) {
    return [{ dtype: ElemType.INT64, shape: [], value: [attrInt(r.node, 'value_int', 0)] }]
  }
  if (r.node.attribute.some((a) => a.name === 'value_float')) {
    return [{ dtype: ElemType.FLOAT, shape: [], value: [attrFloat(r.node, 'value_float', 0)] }]
  }
  return unknown()
}

const constantOfShape: ShapeRule = (r) => {
  const shape = valueOf(r.ins[0])
  const t = attrTensor(r.node, 'value')
  const fill = t ? (Array.from(tensorValues(t))[0] ?? 0) : 0
  const n = numel(shape) ?? 0
  const value = n <= MAX_CONST_ELEMENTS ? new Array<number>(n).fill(fill) : undefined
  return [{ dtype: t?.dataType ?? ElemType.FLOAT, shape, value }]
}

function castValue(v: number, to: number): number {
  if (to === ElemType.BOOL) return v !== 0 ? 1 : 0
  return isIntType(to) ? Math.trunc(v) : v
}

const cast: ShapeRule = (r) => {
  const x = r.ins[0]
  const to = r.node.opType === 'CastLike' ? (r.ins[1]?.dtype ?? 0) : attrInt(r.node, 'to', 0)
  return [{ dtype: to, shape: shapeOf(x), value: x?.value?.map((v) => castValue(v, to)) }]
}

const expand: ShapeRule = (r) => {
  const shape = broadcast([shapeOf(r.ins[0]), valueOf(r.ins[1])])
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape, value: evalElementwise([r.ins[0]], shape, (xs) => xs[0] ?? 0) }]
}

const tile: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const reps = valueOf(r.ins[1])
  const shape = x.map((d, i): Dim => (typeof d === 'number' ? d * (reps[i] ?? 1) : '?'))
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape }]
}

const range: ShapeRule = (r) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => valueOf(r.ins[i])[0] ?? unknown())
  if (start === undefined || limit === undefined || !delta) unknown()
  const n = Math.max(Math.ceil((limit - start) / delta), 0)
  const value = n <= MAX_CONST_ELEMENTS ? Array.from({ length: n }, (_, i) => start + i * delta) : undefined
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: [n], value }]
}

const quantize: ShapeRule = (r) => {
  // The zero point's type is the output type; without one, the attribute or uint8 (the default).
  const dtype = r.ins[2]?.dtype ?? attrInt(r.node, 'output_dtype', ElemType.UINT8)
  return [{ dtype: dtype || ElemType.UINT8, shape: shapeOf(r.ins[0]) }]
}

const dequantize: ShapeRule = (r) => {
  const dtype = r.ins[1]?.dtype ?? ElemType.FLOAT
  return [{ dtype, shape: shapeOf(r.ins[0]), value: undefined }]
}

const UNARY_FLOAT = [
  'Relu', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Exp', 'Log', 'Erf', 'Gelu',
  'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'Mish', 'Round', 'Reciprocal', 'Softmax',
  'LogSoftmax', 'Hardmax', 'LRN', 'InstanceNormalization', 'LayerNormalization', 'Clip', 'Sin',
  'Cos', 'ThresholdedRelu', 'Dropout', 'BatchNormalization', 'Sign', 'Shrink', 'CumSum',
  'Trilu',
]

const add: FnN = ([a = 0, b = 0]) => a + b

export const ELEMENTWISE_RULES: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY_FLOAT.map((op) => [op, unary()])),
  Identity: unary((x) => x),
  Neg: unary((x) => -x),
  Abs: unary(Math.abs),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Sqrt: unary(Math.sqrt),
  Not: unary((x) => (x ? 0 : 1), ElemType.BOOL),
  IsNaN: unary(undefined, ElemType.BOOL),
  IsInf: unary(undefined, ElemType.BOOL),
  Add: nary(add),
  Sum: nary((xs) => xs.reduce((s, x) => s + x, 0)),
  Sub: nary(([a = 0, b = 0]) => a - b),
  Mul: nary(([a = 0, b = 0]) => a * b),
  Div: nary(([a = 0, b = 1]) => a / b),
  Mod: nary(([a = 0, b = 1]) => a % b),
  Pow: nary(([a = 0, b = 1]) => a ** b),
  Max: nary((xs) => Math.max(...xs)),
  Min: nary((xs) => Math.min(...xs)),
  Mean: nary((xs) => xs.reduce((s, x) => s + x, 0) / xs.length),
  PRelu: nary(undefined),
  BitShift: nary(undefined),
  Equal: nary(([a, b]) => (a === b ? 1 : 0), bool),
  Less: nary(([a = 0, b = 0]) => (a < b ? 1 : 0), bool),
  LessOrEqual: nary(([a = 0, b = 0]) => (a <= b ? 1 : 0), bool),
  Greater: nary(([a = 0, b = 0]) => (a > b ? 1 : 0), bool),
  GreaterOrEqual: nary(([a = 0, b = 0]) => (a >= b ? 1 : 0), bool),
  And: nary((xs) => (xs.every(Boolean) ? 1 : 0), bool),
  Or: nary((xs) => (xs.some(Boolean) ? 1 : 0), bool),
  Xor: nary(([a, b]) => (Boolean(a) !== Boolean(b) ? 1 : 0), bool),
  Where: nary(([c, a = 0, b = 0]) => (c ? a : b), at(1)),
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Cast: cast,
  CastLike: cast,
  Expand: expand,
  Tile: tile,
  Range: range,
  QuantizeLinear: quantize,
  // Dynamic quantization: x → (uint8 x, float scale, uint8 zero point).
  DynamicQuantizeLinear: (r) => [
    { dtype: 2, shape: shapeOf(r.ins[0]) },
    { dtype: 1, shape: [] },
    { dtype: 2, shape: [] },
  ],
  DequantizeLinear: dequantize,
}
