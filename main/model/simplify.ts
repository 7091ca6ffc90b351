/**
 * Graph simplification, what onnx-simplifier does, on the studio's own graph code: shape arithmetic
 * folded to constants wherever the shapes are static apart from the batch. Exporters compute
 * shapes at run time (`x.view(x.size(0), -1)` becomes Shape → Gather → Unsqueeze → Concat →
 * Reshape, a channel shuffle two such chains) and deduplicate equal weights behind Identity nodes;
 * analyses that need to know which tensors are constants (channel pruning) cannot see through them.
 *
 * Static shape inference is run twice, with the batch bound to 1 and to 2: a value equal in both
 * does not depend on the batch and becomes an initializer; a Reshape whose target differs only in
 * the batch entry gets a constant target with −1 there. Nodes left without readers are removed.
 * What the model computes is unchanged, for every batch size.
 */
import { attrTensor } from './graph.js'
import { GraphIndex } from './graph-index.js'
import { graphOf, onnx, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from './proto.js'
import { declaredShape, inferShapes, type ShapeInference } from './shapes.js'
import { isStatic } from './shape-util.js'
import { ElemType, float32ToInitializer } from './tensor.js'

export interface SimplifyReport {
  /** Node outputs replaced by constants (Constant / Identity-of-constant / folded shape arithmetic). */
  folded: number
  /** Reshapes that got a constant target shape. */
  reshapes: number
  /** Identity nodes on activations bypassed. */
  identities: number
  /** Nodes removed because nothing read their outputs any more. */
  removed: number
}

const FOLDABLE_TYPES = new Set<number>([ElemType.INT64, ElemType.INT32, ElemType.FLOAT, ElemType.BOOL])

function cloneOf(model: ModelProto): ModelProto {
  return onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish())
}

/** Input shapes with the (symbolic) batch bound to `batch`; undefined when no input has a symbolic batch. */
function batchShapes(graph: GraphProto, batch: number): Record<string, number[]> | undefined {
  const inits = new Set(graph.initializer.map((t) => t.name))
  const out: Record<string, number[]> = {}
  let symbolic = false
  for (const input of graph.input) {
    if (inits.has(input.name)) continue
    const shape = declaredShape(input)
    if (!shape || shape.length === 0 || typeof shape[0] !== 'string') continue
    const rest = shape.slice(1)
    if (!rest.every((d): d is number => typeof d === 'number')) continue
    out[input.name] = [batch, ...rest]
    symbolic = true
  }
  return symbolic ? out : undefined
}

function sameValues(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i])
}

/** Simplifies a copy of the model (the model passed in is not modified). */
export function simplifyGraph(source: ModelProto): { model: ModelProto; report: SimplifyReport } {
  const model = cloneOf(source)
  const graph = graphOf(model)
  const report: SimplifyReport = { folded: 0, reshapes: 0, identities: 0, removed: 0 }
  report.folded += constantsToInitializers(graph)
  report.identities += bypassIdentities(graph)
  const a = inferShapes(model)
  const shapesB = batchShapes(graph, 2)
  const b = shapesB ? inferShapes(model, { inputShapes: shapesB }) : a
  report.folded += foldValues(graph, a, b)
  report.reshapes += constantReshapeTargets(graph, a, b)
  report.removed += removeDead(graph)
  return { model, report }
}

/** Constant nodes and Identity nodes of constants become initializers (one per name, so each reader owns its copy). */
function constantsToInitializers(graph: GraphProto): number {
  const index = new GraphIndex(graph)
  const replaced = new Set<NodeProto>()
  for (const n of graph.node) {
    const out = n.output[0]
    if (!out || (n.domain ?? '') !== '' || index.outputs.has(out)) continue
    let value: TensorProto | undefined
    if (n.opType === 'Constant' && n.attribute.length === 1) value = attrTensor(n, 'value')
    else if (n.opType === 'Identity') value = index.constants.get(n.input[0] ?? '')
    if (!value) continue
    graph.initializer.push(onnx.TensorProto.create({ ...value, name: out }) as TensorProto)
    replaced.add(n)
  }
  graph.node = graph.node.filter((n) => !replaced.has(n))
  return replaced.size
}

/** Identity on an activation: its readers read the input instead (graph outputs keep their Identity). */
function bypassIdentities(graph: GraphProto): number {
  const outputs = new Set(graph.output.map((o) => o.name))
  const alias = new Map<string, string>()
  const dropped = new Set<NodeProto>()
  for (const n of graph.node) {
    const [x, y] = [n.input[0], n.output[0]]
    if (n.opType !== 'Identity' || (n.domain ?? '') !== '' || !x || !y || outputs.has(y)) continue
    alias.set(y, alias.get(x) ?? x)
    dropped.add(n)
  }
  if (dropped.size === 0) return 0
  graph.node = graph.node.filter((n) => !dropped.has(n))
  for (const n of graph.node) n.input = n.input.map((i) => alias.get(i) ?? i)
  return dropped.size
}

/** Outputs whose small value inference knows, equal for batch 1 and 2, become initializers. */
function foldValues(graph: GraphProto, a: ShapeInference, b: ShapeInference): number {
  const outputs = new Set(graph.output.map((o) => o.name))
  const folded = new Set<NodeProto>()
  for (const n of a.order) {
    if ((n.domain ?? '') !== '' || n.opType === 'Constant' || n.output.length === 0) continue
    const values = n.output.map((o) => {
      const ma = a.tensors.get(o)
      const mb = b.tensors.get(o)
      if (!o || outputs.has(o) || !ma || !mb || !isStatic(ma.shape) || !FOLDABLE_TYPES.has(ma.dtype)) return undefined
      return sameValues(ma.value, mb.value) && JSON.stringify(ma.shape) === JSON.stringify(mb.shape) ? { o, ma } : undefined
    })
    if (values.some((v) => v === undefined)) continue
    for (const v of values) {
      if (!v || !isStatic(v.ma.shape) || !v.ma.value) continue
      graph.initializer.push(float32ToInitializer(v.o, v.ma.shape, v.ma.value, v.ma.dtype))
    }
    folded.add(n)
  }
  graph.node = graph.node.filter((n) => !folded.has(n))
  return folded.size
}

/** Reshapes whose target is computed: the output shape, with −1 for the one entry that follows the batch. */
function constantReshapeTargets(graph: GraphProto, a: ShapeInference, b: ShapeInference): number {
  const inits = new Set(graph.initializer.map((t) => t.name))
  const index = new GraphIndex(graph)
  let count = 0
  for (const n of graph.node) {
    const target = n.input[1]
    if (n.opType !== 'Reshape' || (n.domain ?? '') !== '' || !target || inits.has(target)) continue
    const sa = a.tensors.get(n.output[0] ?? '')?.shape ?? null
    const sb = b.tensors.get(n.output[0] ?? '')?.shape ?? null
    if (!isStatic(sa) || !isStatic(sb) || sa.length !== sb.length) continue
    const differs = sa.map((d, i) => d !== sb[i])
    if (differs.filter(Boolean).length > 1) continue
    const name = index.fresh(`${n.name || 'Reshape'}_shape`)
    graph.initializer.push(float32ToInitializer(name, [sa.length], sa.map((d, i) => (differs[i] ? -1 : d)), ElemType.INT64))
    n.input[1] = name
    inits.add(name)
    count += 1
  }
  return count
}

/** Removes nodes nothing reads (repeatedly), then initializers nothing reads and stale annotations. */
function removeDead(graph: GraphProto): number {
  const outputs = new Set(graph.output.map((o) => o.name))
  let removed = 0
  for (;;) {
    const read = new Set(graph.node.flatMap((n) => n.input))
    const dead = graph.node.filter((n) => n.output.every((o) => !o || (!read.has(o) && !outputs.has(o))))
    if (dead.length === 0) break
    const set = new Set(dead)
    graph.node = graph.node.filter((n) => !set.has(n))
    removed += dead.length
  }
  const read = new Set([...graph.node.flatMap((n) => n.input), ...outputs])
  const orphans = new Set(graph.initializer.filter((t) => !read.has(t.name)).map((t) => t.name))
  graph.initializer = graph.initializer.filter((t) => !orphans.has(t.name))
  graph.input = graph.input.filter((i) => !orphans.has(i.name))
  const live = new Set([...read, ...graph.node.flatMap((n) => n.output)])
  graph.valueInfo = graph.valueInfo.filter((v) => live.has(v.name))
  return removed
}
