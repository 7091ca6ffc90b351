/**
 * FP16 variant: every float initializer stored as float16 (half the weight bytes), compute in
 * float16 where ONNX Runtime's CPU provider has float16 kernels, float32 elsewhere. Graph inputs
 * and outputs stay float32.
 *
 * ORT 1.30's CPU provider has float16 kernels only for data-movement ops; Conv, Gemm, Relu, Add,
 * pooling … run in float32 (it would insert the Casts itself). Rather than let ORT bounce every
 * tensor between precisions, those ops are on a blocklist: they keep float32 activations and read
 * their float16 weights through a Cast that ORT folds once at session load. The report lists them.
 */
import type { Fp16Report } from '../../common/compress.js'
import { graphOf, type ModelProto, type NodeProto } from '../model/proto.js'
import { ElemType, float32ToInitializer, initializerToFloat32, tensorDims } from '../model/tensor.js'
import { GraphIndex } from '../model/graph-index.js'
import { assertFloatModel, cloneModel, makeNode } from './graph-edit.js'
import { topoSort } from '../model/graph.js'
import { inferShapes } from '../model/shapes.js'

/** Ops the ORT CPU provider runs in float16 without inserting Casts (probed in the tests). */
export const FP16_CPU_OPS: ReadonlySet<string> = new Set([
  'Concat', 'Flatten', 'Reshape', 'Slice', 'Transpose', 'Clip', 'Identity', 'Squeeze', 'Unsqueeze',
])

export type { Fp16Report }

type Precision = 'f16' | 'f32'

export function convertToFp16(source: ModelProto): { model: ModelProto; report: Fp16Report } {
  assertFloatModel(source, 'Start from the float32 model.')
  const model = cloneModel(source)
  const graph = graphOf(model)
  const names = new GraphIndex(graph)
  const meta = inferShapes(model).tensors
  const precision = new Map<string, Precision>()
  let convertedInitializers = 0
  graph.initializer = graph.initializer.map((t) => {
    if (t.dataType !== ElemType.FLOAT) return t
    convertedInitializers += 1
    precision.set(t.name, 'f16')
    return float32ToInitializer(t.name, tensorDims(t), initializerToFloat32(t), ElemType.FLOAT16)
  })
  const initializers = new Set(graph.initializer.map((t) => t.name))
  for (const input of graph.input) if (!initializers.has(input.name)) precision.set(input.name, 'f32')

  const casts = new Map<string, string>()
  const extra: NodeProto[] = []
  const castTo = (tensor: string, to: Precision): string => {
    const key = `${tensor}->${to}`
    const existing = casts.get(key)
    if (existing) return existing
    // Short names: one Cast per weight, and long names would be a visible share of the file.
    const out = names.fresh(`c${casts.size}`)
    extra.push(makeNode('Cast', [tensor], [out], '', { to: to === 'f32' ? ElemType.FLOAT : ElemType.FLOAT16 }))
    casts.set(key, out)
    return out
  }

  const blocked: Record<string, number> = {}
  let fp16Nodes = 0
  const ordered: NodeProto[] = []
  for (const node of topoSort(graph)) {
    const floatInputs = node.input.filter((x) => precision.has(x))
    const activations = floatInputs.filter((x) => !initializers.has(x))
    const canHalf = FP16_CPU_OPS.has(node.opType)
    const runHalf = canHalf && activations.length > 0 && activations.every((x) => precision.get(x) === 'f16')
    const want: Precision = runHalf ? 'f16' : 'f32'
    if (!runHalf && !canHalf && floatInputs.length > 0) blocked[node.opType] = (blocked[node.opType] ?? 0) + 1
    if (runHalf) fp16Nodes += 1
    node.input = node.input.map((x) => (precision.has(x) && precision.get(x) !== want ? castTo(x, want) : x))
    ordered.push(...extra.splice(0), node)
    for (const out of node.output) {
      const dtype = meta.get(out)?.dtype
      if (dtype === ElemType.FLOAT || (dtype === undefined && floatInputs.length > 0)) precision.set(out, want)
    }
  }
  // Graph outputs keep float32: rename a float16 producer's output and cast back under the old name.
  for (const output of graph.output) {
    if (precision.get(output.name) !== 'f16') continue
    const inner = names.fresh(`${output.name}_fp16`)
    for (const n of ordered) n.output = n.output.map((x) => (x === output.name ? inner : x))
    for (const n of ordered) n.input = n.input.map((x) => (x === output.name ? inner : x))
    ordered.push(makeNode('Cast', [inner], [output.name], names.fresh(`Cast_${output.name}`), { to: ElemType.FLOAT }))
  }
  graph.node = ordered
  // Declared intermediate types would now be wrong for float16 tensors; ORT re-infers them.
  graph.valueInfo = graph.valueInfo.filter((v) => precision.get(v.name) !== 'f16')
  const notes = [
    'Weights are stored in float16: the file holds about half the bytes of the float32 model.',
  ]
  if (Object.keys(blocked).length > 0) {
    notes.push(
      `ONNX Runtime's CPU provider has no float16 kernels for ${Object.keys(blocked).join(', ')}: these compute in float32 from float16 weights widened once at load, so expect float32 speed on this CPU. Boards with float16 arithmetic (e.g. ARMv8.2 with a float16-capable runtime) can differ.`,
    )
  }
  return { model, report: { fp16Nodes, blocked, convertedInitializers, castsInserted: casts.size, notes } }
}
