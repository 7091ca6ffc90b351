/**
 * Structural checks after decoding: protobuf decodes almost any bytes into *some* message, so a
 * model is only accepted once it looks like a graph ORT could load. Messages are phrased as the
 * problem only; onnx-io.ts adds the file name and the fix.
 */
import { StudioError } from '../../common/errors.js'
import { topoSort } from './graph.js'
import { graphOf, type ModelProto, type TensorProto, type ValueInfoProto } from './proto.js'
import { ElemType, numElements, storedElements, tensorDims, toNum } from './tensor.js'


const MAX_DIM = 2 ** 40
const EXTERNAL = 1

function fail(problem: string): never {
  throw new StudioError('MODEL_INVALID', problem)
}

function checkTensor(t: TensorProto, what: string): void {
  if (t.dataLocation === EXTERNAL || t.externalData.length > 0) {
    fail(
      `${what} '${t.name}' keeps its data in an external file, which EdgeBench Studio does not read; save the model with all tensors inside the .onnx file (onnx.save_model(m, path, save_as_external_data=False))`,
    )
  }
  if (t.segment) fail(`${what} '${t.name}' is stored in segments, which EdgeBench Studio does not read`)
  const dims = tensorDims(t)
  if (dims.some((d) => !Number.isInteger(d) || d < 0 || d > MAX_DIM)) {
    fail(`${what} '${t.name}' has an impossible shape [${dims.join(', ')}]`)
  }
  if (t.dataType === ElemType.STRING) return
  const want = numElements(dims)
  const have = storedElements(t)
  if (have !== want) fail(`${what} '${t.name}' holds ${have} values but its shape [${dims.join(', ')}] needs ${want}`)
}

/**
 * A declared input dim is ≥ 0, or -1 / a name when dynamic. Anything below -1 is damage, and the
 * runtime would feed the model some other size than the one declared.
 */
function checkInputDims(v: ValueInfoProto): void {
  const dims = v.type?.tensorType?.shape?.dim ?? []
  dims.forEach((d, k) => {
    if (!Object.prototype.hasOwnProperty.call(d, 'dimValue')) return
    const n = toNum(d.dimValue)
    if (n < -1 || !Number.isSafeInteger(n)) {
      fail(`input '${v.name}' declares dimension ${k} as ${String(d.dimValue)}; a dimension is at least 0, or -1 or a name when dynamic`)
    }
  })
}

/** Throws StudioError('MODEL_INVALID') with a problem phrase when the model is not usable. */
export function validateModel(model: ModelProto): void {
  const graph = graphOf(model)
  if (graph.node.length === 0) fail('its graph has no nodes')
  const known = new Set<string>()
  for (const t of graph.initializer) {
    checkTensor(t, 'initializer')
    known.add(t.name)
  }
  const inputs = graph.input.filter((i) => !known.has(i.name))
  if (inputs.length === 0) fail('its graph declares no inputs')
  for (const i of inputs) checkInputDims(i)
  for (const i of graph.input) known.add(i.name)
  const produced = new Set<string>()
  for (const n of graph.node) {
    for (const o of n.output) {
      // ONNX graphs are single-assignment; a second producer makes every later read ambiguous.
      if (o && produced.has(o)) fail(`tensor '${o}' is produced by more than one node`)
      if (o) produced.add(o)
      if (o) known.add(o)
    }
  }
  for (const n of graph.node) {
    if (!n.opType) fail(`node '${n.name}' has no operator type`)
    for (const a of n.attribute) if (a.t) checkTensor(a.t as TensorProto, `constant of node '${n.name || n.opType}'`)
    for (const name of n.input) {
      if (name && !known.has(name)) fail(`node '${n.name || n.opType}' reads tensor '${name}', which nothing produces`)
    }
  }
  if (graph.output.length === 0) fail('its graph declares no outputs')
  for (const o of graph.output) if (!known.has(o.name)) fail(`graph output '${o.name}' is produced by no node`)
  topoSort(graph)
}
