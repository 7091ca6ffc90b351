/**
 * Graph helpers: topological order and typed attribute access for NodeProto.
 */
import { StudioError } from '../../common/errors.js'
import type { AttributeProto, GraphProto, IModelProto, NodeProto, TensorProto } from './proto.js'
import { toNum } from './tensor.js'

/**
 * Nodes in an order where every node comes after the producers of its inputs. Keeps the file's
 * order where it is already valid (exporters write sorted graphs), so reports read top-down.
 * Throws MODEL_INVALID on a cycle.
 */
export function topoSort(graph: GraphProto): NodeProto[] {
  const nodes = graph.node
  const producer = new Map<string, number>()
  nodes.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)))
  const indegree = new Array<number>(nodes.length).fill(0)
  const consumers: number[][] = nodes.map(() => [])
  nodes.forEach((n, i) => {
    const deps = new Set<number>()
    for (const name of n.input) {
      const p = name ? producer.get(name) : undefined
      if (p !== undefined) deps.add(p) // a node reading its own output is a cycle too
    }
    indegree[i] = deps.size
    for (const p of deps) consumers[p]?.push(i)
  })
  // Kahn's algorithm, always taking the ready node with the lowest file index (the stack is kept
  // sorted descending), so a graph that is already in order keeps it exactly.
  const order: NodeProto[] = []
  const ready: number[] = []
  indegree.forEach((d, i) => d === 0 && ready.push(i))
  ready.reverse()
  while (ready.length > 0) {
    const i = ready.pop() as number
    const node = nodes[i]
    if (node) order.push(node)
    const next = (consumers[i] ?? []).filter((c) => --indegree[c]! === 0)
    if (next.length > 0) {
      ready.push(...next)
      ready.sort((a, b) => b - a)
    }
  }
  if (order.length !== nodes.length) {
    throw new StudioError('MODEL_INVALID', 'the graph has a cycle (a node depends on its own output)')
  }
  return order
}

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name)
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name)
  return a && a.i !== undefined && a.i !== null ? toNum(a.i) : fallback
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name)
  return a && a.ints && a.ints.length > 0 ? a.ints.map((v) => toNum(v)) : undefined
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name)
  return a && typeof a.f === 'number' ? a.f : fallback
}

export function attrFloats(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name)
  return a && a.floats && a.floats.length > 0 ? [...a.floats] : undefined
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = attr(node, name)
  return a && a.s && a.s.length > 0 ? Buffer.from(a.s).toString('utf8') : fallback
}

export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  const t = attr(node, name)?.t
  return t ? (t as TensorProto) : undefined
}

export function hasAttr(node: NodeProto, name: string): boolean {
  return attr(node, name) !== undefined
}

/** The opset of the default ('' or 'ai.onnx') domain; 0 when the model does not declare one. */
export function defaultOpset(model: IModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')
  return entry ? toNum(entry.version) : 0
}
