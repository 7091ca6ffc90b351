/**
 * Small helpers for rewriting ONNX graphs: copies and new nodes (fresh names and maps of a graph
 * come from GraphIndex in main/model). Compression passes build a new model and never mutate the
 * one they were given.
 */
import { StudioError } from '../../common/errors.js'
import { encodeModel } from '../model/onnx-io.js'
import { graphOf, onnx, type ModelProto, type NodeProto } from '../model/proto.js'
import { ElemType } from '../model/tensor.js'

/** A deep copy of the model (through its protobuf bytes, so nothing is shared). */
export function cloneModel(model: ModelProto): ModelProto {
  return onnx.ModelProto.decode(encodeModel(model))
}

type AttrValue = number | number[] | string

/** A NodeProto with int / ints / float / string attributes (the kinds compression writes). */
export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: Record<string, AttrValue> = {},
  domain = '',
): NodeProto {
  const attribute = Object.entries(attrs).map(([key, v]) => {
    const AT = onnx.AttributeProto.AttributeType
    if (typeof v === 'string') return onnx.AttributeProto.create({ name: key, type: AT.STRING, s: new TextEncoder().encode(v) })
    if (Array.isArray(v)) return onnx.AttributeProto.create({ name: key, type: AT.INTS, ints: v })
    if (Number.isInteger(v)) return onnx.AttributeProto.create({ name: key, type: AT.INT, i: v })
    return onnx.AttributeProto.create({ name: key, type: AT.FLOAT, f: v })
  })
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name, attribute, domain }) as NodeProto
}

const QUANT_OPS = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul',
  'ConvInteger', 'MatMulInteger', 'DynamicQuantizeMatMul', 'QGemm', 'QLinearAdd', 'QLinearMul',
  'MatMulIntegerToFloat',
])

/** Ops whose input 1 is a weight matrix or filter bank. */
export const WEIGHT_OPS: ReadonlySet<string> = new Set(['Conv', 'Gemm', 'MatMul'])

/**
 * Refuses models that are already quantized (Q/DQ or integer ops, or 8-bit weights) or already
 * half precision: compressing them again would stack rounding on rounding. `advice` says what to
 * do instead.
 */
export function assertFloatModel(model: ModelProto, advice: string): void {
  const graph = graphOf(model)
  const qnode = graph.node.find((n) => QUANT_OPS.has(n.opType))
  const weightNames = new Set(graph.node.filter((n) => WEIGHT_OPS.has(n.opType)).map((n) => n.input[1]))
  const qinit = graph.initializer.find(
    (t) => weightNames.has(t.name) && (t.dataType === ElemType.INT8 || t.dataType === ElemType.UINT8),
  )
  if (qnode || qinit) {
    const what = qnode ? `it contains ${qnode.opType} ('${qnode.name}')` : `weight '${qinit?.name}' is 8-bit integer`
    throw new StudioError('BAD_INPUT', `This model is already quantized (${what}). ${advice}`)
  }
  const half = graph.initializer.find((t) => t.dataType === ElemType.FLOAT16)
  if (half) {
    throw new StudioError('BAD_INPUT', `This model already stores weights in float16 ('${half.name}'). ${advice}`)
  }
}
