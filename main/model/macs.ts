/**
 * Multiply-accumulates per node, batch 1 (docs/measurement.md): Conv = N·Cout·Hout·Wout·(Cin/groups)·kH·kW,
 * Gemm/MatMul = M·K·N, every other op 0. Quantized forms count the same as their float op.
 */
import { attrInt } from './graph.js'
import type { GraphIndex } from './graph-index.js'
import type { NodeProto } from './proto.js'
import { numel, type TensorMeta } from './shape-util.js'

/** Weight input index of conv-like ops (weights are [Cout, Cin/groups, k…]). */
const CONV_W: Record<string, number> = { Conv: 1, ConvInteger: 1, QLinearConv: 3, FusedConv: 1 }
/** [A, B] input indices of matmul-like ops. */
const MATMUL_AB: Record<string, [number, number]> = {
  MatMul: [0, 1],
  MatMulInteger: [0, 1],
  DynamicQuantizeMatMul: [0, 1],
  QLinearMatMul: [0, 3],
  FusedMatMul: [0, 1],
}
const GEMMS = new Set(['Gemm', 'FusedGemm', 'QGemm'])
/** Domains whose Conv/MatMul keep the standard layout (not com.microsoft.nchwc's blocked one). */
const DOMAINS = new Set(['', 'ai.onnx', 'com.microsoft'])

function shape(tensors: ReadonlyMap<string, TensorMeta>, name: string | undefined): number[] | null {
  const s = name ? tensors.get(name)?.shape : null
  return s && s.every((d): d is number => typeof d === 'number') ? s : null
}

/** MACs of one node; 0 when it does no multiply-accumulates or a shape it needs is unknown. */
export function nodeMacs(node: NodeProto, tensors: ReadonlyMap<string, TensorMeta>): number {
  if (!DOMAINS.has(node.domain)) return 0
  const out = shape(tensors, node.output[0])
  const wi = CONV_W[node.opType]
  if (wi !== undefined) {
    const w = shape(tensors, node.input[wi])
    return out && w ? (numel(out) ?? 0) * (numel(w.slice(1)) ?? 0) : 0
  }
  if (node.opType === 'ConvTranspose') {
    // Each input pixel of each input channel is scattered through (Cout/groups)·kH·kW weights.
    const x = shape(tensors, node.input[0])
    const w = shape(tensors, node.input[1])
    return x && w ? (numel(x) ?? 0) * (numel(w.slice(1)) ?? 0) : 0
  }
  if (GEMMS.has(node.opType)) {
    const a = shape(tensors, node.input[0])
    const k = a ? (attrInt(node, 'transA', 0) ? a[0] : a[1]) : undefined
    return out && k !== undefined ? (numel(out) ?? 0) * k : 0
  }
  const ab = MATMUL_AB[node.opType]
  if (ab) {
    const a = shape(tensors, node.input[ab[0]])
    // FusedMatMul may read A transposed (transA), which puts K second to last.
    const transA = node.opType === 'FusedMatMul' && attrInt(node, 'transA', 0) === 1 && (a?.length ?? 0) >= 2
    const k = a?.[a.length - (transA ? 2 : 1)]
    return out && k !== undefined ? (numel(out) ?? 0) * k : 0
  }
  return 0
}

/**
 * Whether nodeMacs can count this node: false for a multiply-accumulate op (conv, Gemm, MatMul
 * and their forms) whose shapes are unknown, where nodeMacs' 0 would understate the work.
 */
export function macsCountable(node: NodeProto, tensors: ReadonlyMap<string, TensorMeta>): boolean {
  if (!DOMAINS.has(node.domain)) return true
  const wi = CONV_W[node.opType]
  if (wi !== undefined) return shape(tensors, node.output[0]) !== null && shape(tensors, node.input[wi]) !== null
  if (node.opType === 'ConvTranspose') return shape(tensors, node.input[0]) !== null && shape(tensors, node.input[1]) !== null
  if (GEMMS.has(node.opType)) return shape(tensors, node.output[0]) !== null && shape(tensors, node.input[0]) !== null
  const ab = MATMUL_AB[node.opType]
  if (ab) return shape(tensors, node.output[0]) !== null && shape(tensors, node.input[ab[0]]) !== null
  return true
}

/**
 * MACs needed to compute each of `outputs` alone: the sum over the nodes it depends on. For an
 * early-exit model this is the work up to an exit (docs/measurement.md, T-RecX average work).
 */
export function macsByOutput(
  index: GraphIndex,
  tensors: ReadonlyMap<string, TensorMeta>,
  outputs: readonly string[],
): Record<string, number> {
  const producer = index.producer
  const result: Record<string, number> = {}
  for (const output of outputs) {
    const seen = new Set<NodeProto>()
    const stack = [output]
    let total = 0
    while (stack.length > 0) {
      const node = producer.get(stack.pop() as string)
      if (!node || seen.has(node)) continue
      seen.add(node)
      total += nodeMacs(node, tensors)
      stack.push(...node.input.filter((i) => i))
    }
    result[output] = total
  }
  return result
}
