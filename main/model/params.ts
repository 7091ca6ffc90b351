/**
 * Which constant tensors are parameters: the weights and biases of layers (Conv, Gemm, MatMul,
 * normalisation scales/biases, …), traced back through the ops quantized and exported models put
 * between a weight and its layer (DequantizeLinear, Cast, Transpose, Reshape). Shape constants,
 * Gather indices, quantization scales and zero points are not parameters (docs/measurement.md).
 */
import type { NodeProto, TensorProto } from './proto.js'
import type { GraphIndex } from './graph-index.js'
import { bytesPerElement, ElemType, numElements, tensorDims } from './tensor.js'

/** Input slots holding weights or biases, per operator. */
const WEIGHT_SLOTS: Record<string, number[]> = {
  Conv: [1, 2],
  ConvTranspose: [1, 2],
  ConvInteger: [1],
  QLinearConv: [3, 8],
  Gemm: [0, 1, 2],
  FusedConv: [1, 2],
  FusedGemm: [0, 1, 2],
  FusedMatMul: [0, 1],
  QGemm: [0, 3, 6],
  MatMul: [0, 1],
  MatMulInteger: [0, 1],
  QLinearMatMul: [0, 3],
  BatchNormalization: [1, 2],
  InstanceNormalization: [1, 2],
  LayerNormalization: [1, 2],
  GroupNormalization: [1, 2],
  PRelu: [1],
  RNN: [1, 2, 3],
  GRU: [1, 2, 3],
  LSTM: [1, 2, 3, 7],
}

/** Ops whose output is the same weight in another form. */
const PASS_THROUGH = new Set(['DequantizeLinear', 'QuantizeLinear', 'Cast', 'Identity', 'Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten'])
/** A bias added right after a MatMul (Linear layers exported as MatMul + Add). */
const MATMULS = new Set(['MatMul', 'MatMulInteger', 'QLinearMatMul', 'FusedMatMul'])
const NOT_NUMERIC = new Set<number>([ElemType.STRING, ElemType.BOOL, 0])

export interface ParamTensor {
  name: string
  dtype: number
  count: number
  bytes: number
}

export interface ParamIndex {
  /** Unique parameter tensors by name. */
  tensors: Map<string, ParamTensor>
  /** Parameter tensors each node uses (by node object). */
  byNode: Map<NodeProto, string[]>
}

function traceToConstant(
  name: string,
  constants: ReadonlyMap<string, TensorProto>,
  producer: ReadonlyMap<string, NodeProto>,
): TensorProto | undefined {
  let current = name
  for (let depth = 0; depth < 8; depth++) {
    const t = constants.get(current)
    if (t) return t
    const p = producer.get(current)
    if (!p || !PASS_THROUGH.has(p.opType) || !p.input[0]) return undefined
    current = p.input[0]
  }
  return undefined
}

function slotsOf(node: NodeProto, producer: ReadonlyMap<string, NodeProto>): number[] {
  const slots = WEIGHT_SLOTS[node.opType]
  if (slots) return slots
  if (node.opType === 'Add' && node.input.some((i) => MATMULS.has(producer.get(i)?.opType ?? ''))) return [0, 1]
  return []
}

/** Finds the parameter tensors of a graph (nodes in `order`), per node and in total. */
export function findParams(order: readonly NodeProto[], index: GraphIndex): ParamIndex {
  const { producer, constants } = index
  const tensors = new Map<string, ParamTensor>()
  const byNode = new Map<NodeProto, string[]>()
  for (const node of order) {
    const used: string[] = []
    for (const slot of slotsOf(node, producer)) {
      const input = node.input[slot]
      const t = input ? traceToConstant(input, constants, producer) : undefined
      if (!t || NOT_NUMERIC.has(t.dataType)) continue
      // Keyed by the name the layer reads: exporters deduplicate equal tensors (e.g. zero
      // biases) behind Identity nodes, yet each layer still has its own parameters, as PyTorch
      // counts them. A tensor read by two layers under one name is shared and counted once.
      const key = input!
      const count = numElements(tensorDims(t))
      tensors.set(key, { name: key, dtype: t.dataType, count, bytes: Math.ceil(count * bytesPerElement(t.dataType)) })
      used.push(key)
    }
    byNode.set(node, used)
  }
  return { tensors, byNode }
}
