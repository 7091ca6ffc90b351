/**
 * Where a static (QDQ) quantization puts its QuantizeLinear/DequantizeLinear pairs, the way ONNX
 * Runtime's quantizer does, so ORT's optimiser (level `all`) fuses them into QLinearConv, QGemm,
 * QLinearAdd, QLinearConcat, QLinearGlobalAveragePool …:
 * - every float activation read or written by a quantizable op gets one Q→DQ pair, and every
 *   consumer reads the DQ output (a float consumer too: a fusable op's output must go only to Q);
 * - a Conv/Gemm/Add whose only consumer is a Relu/Clip is quantized after the activation
 *   (Conv+Relu as one unit, measured ~5 % faster on x86 than Q/DQ between them); the quantizer
 *   then drops such a Relu when its zero point already clamps at 0, as ORT's quantizer does;
 * - pass-through ops (Reshape, Flatten, MaxPool …) reuse their input's range, so ORT can drop the
 *   Q/DQ around them; Reshape and Transpose get none at all (ORT propagates their input's).
 */
import type { GraphIndex } from '../model/graph-index.js'
import type { NodeProto } from '../model/proto.js'

/** Ops with int8 kernels in ORT (or fusable QDQ patterns); their float activations are quantized. */
export const QUANTIZABLE_OPS: ReadonlySet<string> = new Set([
  'Conv',
  'Gemm',
  'MatMul',
  'Add',
  'Mul',
  'Concat',
  'AveragePool',
  'GlobalAveragePool',
  'MaxPool',
  'Relu',
  'Clip',
  'Flatten',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
])

/** Ops whose output range equals their input's (data movement, max); they share its Q/DQ params. */
export const PASS_THROUGH_OPS: ReadonlySet<string> = new Set([
  'MaxPool',
  'Flatten',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
])

const PROPAGATED_OPS = new Set(['Reshape', 'Transpose'])
const FUSABLE_ACTIVATIONS = new Set(['Relu', 'Clip'])
const FUSING_PRODUCERS = new Set(['Conv', 'Gemm', 'Add', 'MatMul'])

export interface QdqPlan {
  /** Nodes quantized (their activations go through Q/DQ). */
  quantized: Set<NodeProto>
  /** Float activation tensors that get a Q→DQ pair. */
  tensors: string[]
  /** Producer outputs read only by a Relu/Clip quantized with them (no Q/DQ between the two). */
  fused: Set<string>
  /** Tensor whose range a pass-through op's output shares: output → source. */
  shareRange: Map<string, string>
  /** Nodes left float: [node, reason]. */
  floatNodes: { name: string; op: string; reason: 'excluded' | 'unsupported' }[]
}

export interface PlanInput {
  /** The nodes in topological order. */
  nodes: NodeProto[]
  index: GraphIndex
  /** Float tensors that are activations (not initializers/constants). */
  isFloatActivation: (name: string) => boolean
  exclude: Set<string>
}

export function planQdq(p: PlanInput): QdqPlan {
  const quantized = new Set<NodeProto>()
  const floatNodes: QdqPlan['floatNodes'] = []
  for (const n of p.nodes) {
    const hasFloat = n.input.some((x) => p.isFloatActivation(x))
    if (!hasFloat) continue
    if (p.exclude.has(n.name)) floatNodes.push({ name: n.name, op: n.opType, reason: 'excluded' })
    else if (QUANTIZABLE_OPS.has(n.opType)) quantized.add(n)
    else floatNodes.push({ name: n.name, op: n.opType, reason: 'unsupported' })
  }
  const fusedOutputs = new Set<string>()
  for (const n of quantized) {
    if (!FUSING_PRODUCERS.has(n.opType)) continue
    const out = n.output[0] ?? ''
    const users = p.index.consumersOf(out)
    const only = users[0]
    if (
      users.length === 1 &&
      only &&
      FUSABLE_ACTIVATIONS.has(only.opType) &&
      quantized.has(only) &&
      !p.index.outputs.has(out)
    ) {
      fusedOutputs.add(out)
    }
  }
  const tensors: string[] = []
  const seen = new Set<string>()
  const add = (t: string): void => {
    if (!t || seen.has(t) || fusedOutputs.has(t) || !p.isFloatActivation(t)) return
    seen.add(t)
    tensors.push(t)
  }
  const shareRange = new Map<string, string>()
  // Reshape/Transpose outputs get no Q/DQ of their own: ORT propagates their input's DQ through
  // them (same runtime graph and speed, measured on condensenext and shufflenetv2), and the file
  // is a pair of nodes and two initializers smaller for each. Flatten is not propagated through
  // before QGemm, so it keeps its pair.
  const skip = (t: string): boolean => {
    const prod = p.index.producer.get(t)
    return (
      prod !== undefined && PROPAGATED_OPS.has(prod.opType) && quantized.has(prod) && !p.index.outputs.has(t)
    )
  }
  for (const n of p.nodes) {
    if (!quantized.has(n)) continue
    const activationInputs = n.input.filter((x) => p.isFloatActivation(x))
    // Conv/Gemm/MatMul read weights from initializers; every other float input is an activation.
    for (const x of activationInputs) if (!skip(x)) add(x)
    for (const y of n.output) if (!skip(y)) add(y)
    const src = activationInputs[0]
    if (PASS_THROUGH_OPS.has(n.opType) && src && n.output[0]) shareRange.set(n.output[0], src)
  }
  return { quantized, tensors, fused: fusedOutputs, shareRange, floatNodes }
}
