/**
 * Early-exit models as graphs: which outputs are exits (classifier-shaped [N, classes] besides
 * the final one), what stopping at each costs in MACs, and the cut of the graph into a chain of
 * segments — segment k computes exit k and the tensors the rest needs; the last one the final
 * output (docs/measurement.md § Early exit). Never mutates the model it is given.
 */
import { StudioError } from '../../common/errors.js'
import type { Dim } from '../../common/types.js'
import { topoSort } from '../model/graph.js'
import { nodeMacs } from '../model/macs.js'
import {
  graphOf,
  onnx,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from '../model/proto.js'
import { declaredShape, inferShapes, type ShapeInference } from '../model/shapes.js'

export interface ExitPlan {
  /** The final classifier output. */
  final: string
  /** Exit outputs in cascade order (cheapest first). */
  exits: string[]
  classes: number
  /** MACs spent when a sample stops at each exit (every earlier exit head included). */
  exitMacs: number[]
  /** MACs of the whole network with every chosen exit head (a sample that never stops). */
  fullMacs: number
}

/** Tensor names a node reads, including names its subgraphs (If, Loop, Scan) take from outside. */
export function nodeReads(node: NodeProto): string[] {
  const reads = node.input.filter((i) => i)
  for (const a of node.attribute)
    for (const g of [a.g, ...(a.graphs ?? [])]) if (g) reads.push(...outerReads(g as GraphProto))
  return reads
}

function outerReads(g: GraphProto): string[] {
  const local = new Set<string>([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name)])
  for (const n of g.node) for (const o of n.output) local.add(o)
  return g.node.flatMap(nodeReads).filter((name) => !local.has(name))
}

interface Index {
  order: NodeProto[]
  producer: Map<string, NodeProto>
}

function indexOf(graph: GraphProto): Index {
  const order = topoSort(graph)
  const producer = new Map<string, NodeProto>()
  for (const n of order) for (const o of n.output) if (o) producer.set(o, n)
  return { order, producer }
}

/** Every node `targets` depend on. */
function ancestors(index: Index, targets: readonly string[]): Set<NodeProto> {
  const seen = new Set<NodeProto>()
  const stack = [...targets]
  while (stack.length > 0) {
    const node = index.producer.get(stack.pop() as string)
    if (!node || seen.has(node)) continue
    seen.add(node)
    stack.push(...nodeReads(node))
  }
  return seen
}

function macsOf(nodes: Set<NodeProto>, shapes: ShapeInference): number {
  let total = 0
  for (const n of nodes) total += nodeMacs(n, shapes.tensors)
  return total
}

/** [N, classes] with a static class count, or null. */
function classifierWidth(v: ValueInfoProto): number | null {
  const shape = declaredShape(v)
  if (!shape || shape.length !== 2) return null
  const c = shape[1]
  return typeof c === 'number' && c > 1 ? c : null
}

const isExitName = (name: string): boolean => /^exit/i.test(name)

function badOutput(model: string, message: string, outputs: string[]): StudioError {
  return new StudioError('BAD_INPUT', `${model}: ${message} (its outputs: ${outputs.join(', ')}).`)
}

/**
 * The exits of `model` and their costs. Without `chosen`, every classifier-shaped output named
 * exit* is an exit; the final output is the costliest classifier-shaped output not named so.
 */
export function planExits(model: ModelProto, label: string, chosen?: readonly string[]): ExitPlan {
  const graph = graphOf(model)
  const outputs = graph.output.map((o) => o.name)
  if (outputs.length < 2) {
    throw new StudioError(
      'BAD_INPUT',
      `${label} has one output (${outputs.join(', ')}); early exit needs a model with an exit output besides the final classifier.`,
    )
  }
  const shapes = inferShapes(model)
  const index = indexOf(graph)
  const width = new Map(graph.output.map((o) => [o.name, classifierWidth(o)]))
  const cost = (names: readonly string[]): number => macsOf(ancestors(index, names), shapes)
  const finals = outputs.filter((o) => width.get(o) !== null && !isExitName(o) && !chosen?.includes(o))
  const final = finals.sort((a, b) => cost([b]) - cost([a]))[0]
  if (final === undefined)
    throw badOutput(label, 'no classifier-shaped [N, classes] output to treat as the final one', outputs)
  const classes = width.get(final) as number
  for (const name of chosen ?? []) {
    if (!outputs.includes(name)) throw badOutput(label, `has no output named '${name}'`, outputs)
    if (width.get(name) !== classes)
      throw badOutput(label, `output '${name}' is not shaped like the classifier [N, ${classes}]`, outputs)
  }
  const picked = chosen
    ? [...new Set(chosen)]
    : outputs.filter((o) => o !== final && isExitName(o) && width.get(o) === classes)
  if (picked.length === 0) {
    throw badOutput(
      label,
      `has no early-exit output (an [N, ${classes}] output named exit*); name one with --exit`,
      outputs,
    )
  }
  const exits = picked.sort((a, b) => cost([a]) - cost([b]))
  const exitMacs = exits.map((_, k) => cost(exits.slice(0, k + 1)))
  return { final, exits, classes, exitMacs, fullMacs: cost([...exits, final]) }
}

export interface Segment {
  model: ModelProto
  inputs: string[]
  outputs: string[]
}

/** Dims of a boundary tensor, symbolic where they follow the batch (found by inferring at 1 and 2). */
function boundaryShape(name: string, at1: ShapeInference, at2: ShapeInference): Dim[] | null {
  const a = at1.tensors.get(name)?.shape
  const b = at2.tensors.get(name)?.shape
  if (!a) return null
  return a.map((d, i) => (b && b[i] !== d ? 'N' : d))
}

function valueInfo(name: string, elemType: number, shape: Dim[] | null): ValueInfoProto {
  const dims = shape?.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }))
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims } } : {}) } },
  }) as ValueInfoProto
}

/** The batch sizes the model input is inferred at to tell batch-following dims apart. */
function inferAt(model: ModelProto, batch: number): ShapeInference {
  const graph = graphOf(model)
  const inits = new Set(graph.initializer.map((t) => t.name))
  const inputShapes: Record<string, number[]> = {}
  for (const i of graph.input) {
    const s = declaredShape(i)
    if (inits.has(i.name) || !s) continue
    inputShapes[i.name] = s.map((d, k) => (typeof d === 'number' ? d : k === 0 ? batch : 1))
  }
  return inferShapes(model, { inputShapes })
}

/**
 * Cuts the model into exits.length + 1 segments. Segment k reads the model input and tensors of
 * earlier segments, and outputs exit k (the last one: the final output) plus the tensors later
 * segments read. Initializers go with the segments that use them.
 */
export function splitChain(model: ModelProto, plan: Pick<ExitPlan, 'exits' | 'final'>): Segment[] {
  const graph = graphOf(model)
  const index = indexOf(graph)
  const at1 = inferAt(model, 1)
  const at2 = inferAt(model, 2)
  const targets = [...plan.exits, plan.final]
  const inits = new Map(graph.initializer.map((t) => [t.name, t]))
  const declared = new Map([...graph.input, ...graph.output, ...graph.valueInfo].map((v) => [v.name, v]))
  const taken = new Set<NodeProto>()
  const parts = targets.map((target, k) => {
    const needed = ancestors(index, [target])
    const nodes = index.order.filter((n) => needed.has(n) && !taken.has(n))
    if (nodes.length === 0) {
      throw new StudioError(
        'BAD_INPUT',
        `Output '${target}' needs no work beyond ${k > 0 ? `'${targets[k - 1]}'` : 'the input'}; it cannot be an exit of its own.`,
      )
    }
    for (const n of nodes) taken.add(n)
    return nodes
  })
  const producedIn = new Map<string, number>()
  parts.forEach((nodes, k) => nodes.forEach((n) => n.output.forEach((o) => o && producedIn.set(o, k))))
  const readBy = parts.map((nodes) => new Set(nodes.flatMap(nodeReads)))
  return parts.map((nodes, k) => {
    const reads = [...(readBy[k] as Set<string>)]
    const inputs = reads.filter((n) => !inits.has(n) && producedIn.get(n) !== k)
    const later = new Set(readBy.slice(k + 1).flatMap((s) => [...s]))
    const boundary = [...producedIn]
      .filter(([n, seg]) => seg === k && later.has(n) && n !== targets[k])
      .map(([n]) => n)
    const outputs = [targets[k] as string, ...boundary]
    const info = (name: string): ValueInfoProto => {
      const known = declared.get(name)
      if (known && (graph.input.includes(known) || graph.output.includes(known))) return known
      const dtype = at1.tensors.get(name)?.dtype || known?.type?.tensorType?.elemType || 0
      if (!dtype)
        throw new StudioError(
          'MODEL_UNSUPPORTED',
          `Cannot tell the element type of '${name}', where the graph is cut for early exit.`,
        )
      return valueInfo(name, dtype, boundaryShape(name, at1, at2))
    }
    const segmentGraph = onnx.GraphProto.create({
      name: `${graph.name || 'model'}-segment${k}`,
      node: nodes,
      initializer: reads.flatMap((n) => inits.get(n) ?? []),
      input: inputs.map(info),
      output: outputs.map(info),
    })
    const segment = onnx.ModelProto.create({
      irVersion: model.irVersion,
      opsetImport: model.opsetImport,
      producerName: 'edgebench early-exit split',
      graph: segmentGraph,
      functions: model.functions,
    }) as ModelProto
    return { model: segment, inputs, outputs }
  })
}
