/**
 * Static shape inference over a whole graph: every tensor's element type and dims for batch 1,
 * with small integer constants propagated so run-time shape arithmetic resolves at load time.
 * Tensors no rule can resolve stay `shape: null`; inspect.ts then asks ONNX Runtime.
 */
import type { Dim } from '../../common/types.js'
import { defaultOpset, topoSort } from './graph.js'
import { graphOf, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from './proto.js'
import { ELEMENTWISE_RULES } from './shape-ops-elementwise.js'
import { MS_RULES } from './shape-ops-ms.js'
import { NN_RULES } from './shape-ops-nn.js'
import { TENSOR_RULES } from './shape-ops-tensor.js'
import { isStatic, keepValue, MAX_CONST_ELEMENTS, type ShapeRule, type TensorMeta } from './shape-util.js'
import { tensorDims, tensorValues, toNum } from './tensor.js'

export type { TensorMeta } from './shape-util.js'

const RULES: Record<string, ShapeRule> = { ...ELEMENTWISE_RULES, ...NN_RULES, ...TENSOR_RULES }

export interface InferOptions {
  /** Concrete shapes for graph inputs (overrides the declared ones, e.g. for dynamic H×W). */
  inputShapes?: Record<string, number[]>
}

export interface ShapeInference {
  /** Every known tensor: graph inputs, initializers, node outputs. */
  tensors: Map<string, TensorMeta>
  /** Nodes in topological order. */
  order: NodeProto[]
  /** Names of initializers (and Constant node outputs): weights, not activations. */
  constants: Set<string>
  /** Node outputs whose shape is unknown or not fully static. */
  unresolved: string[]
  /** Symbolic names of the batch dimension(s) of the inputs, bound to 1. */
  batchSymbols: Set<string>
}

/** Declared dims of a value_info; symbolic dims as their names, unnamed unknown dims as '?'. */
export function declaredShape(v: ValueInfoProto): Dim[] | null {
  const shape = v.type?.tensorType?.shape
  if (!shape) return null
  return (shape.dim ?? []).map((d): Dim => {
    if (d.dimParam) return d.dimParam
    // dimValue has a prototype default of 0, so only an own property means the file set it.
    if (Object.prototype.hasOwnProperty.call(d, 'dimValue')) {
      const v = toNum(d.dimValue)
      return v >= 0 ? v : '?' // some exporters write -1 for "dynamic"
    }
    return '?'
  })
}

function declaredType(v: ValueInfoProto): number {
  return v.type?.tensorType?.elemType ?? 0
}

function seedInputs(graph: GraphProto, opts: InferOptions, tensors: Map<string, TensorMeta>): Set<string> {
  const batchSymbols = new Set<string>()
  for (const input of graph.input) {
    if (tensors.has(input.name)) continue // an initializer listed as an input (IR < 4)
    const given = opts.inputShapes?.[input.name]
    let shape = given ? [...given] : declaredShape(input)
    if (!given && shape && shape.length > 0 && typeof shape[0] === 'string') {
      // '?' marks any unnamed unknown dim, so only a named batch symbol is bound everywhere.
      if (shape[0] !== '?') batchSymbols.add(shape[0])
      shape = [1, ...shape.slice(1)]
    }
    tensors.set(input.name, { dtype: declaredType(input), shape })
  }
  return batchSymbols
}

function seedInitializers(graph: GraphProto, tensors: Map<string, TensorMeta>, constants: Set<string>): void {
  for (const t of graph.initializer) {
    const shape = tensorDims(t)
    const small = shape.reduce((a, b) => a * b, 1) <= MAX_CONST_ELEMENTS && t.dataType !== 8
    let value: number[] | undefined
    try {
      value = small ? keepValue(shape, Array.from(tensorValues(t))) : undefined
    } catch {
      value = undefined
    }
    tensors.set(t.name, { dtype: t.dataType, shape, value })
    constants.add(t.name)
  }
}

/** Declared value_info / output shapes, with the batch symbol bound to 1, for tensors no rule resolves. */
function declaredIndex(graph: GraphProto, batch: Set<string>): Map<string, TensorMeta> {
  const index = new Map<string, TensorMeta>()
  for (const v of [...graph.valueInfo, ...graph.output]) {
    const shape = declaredShape(v)?.map((d) => (typeof d === 'string' && batch.has(d) ? 1 : d)) ?? null
    index.set(v.name, { dtype: declaredType(v), shape })
  }
  return index
}

/** Rules by operator domain; ops of any other domain are left to the runtime pass. */
function ruleFor(node: NodeProto): ShapeRule | undefined {
  if (node.domain === '' || node.domain === 'ai.onnx') return RULES[node.opType]
  if (node.domain === 'com.microsoft') return MS_RULES[node.opType]
  return undefined
}

/** Whether the studio knows this op (has a shape rule for it): unknown ops count 0 MACs. */
export function knownOp(node: NodeProto): boolean {
  return ruleFor(node) !== undefined
}

function applyRule(node: NodeProto, tensors: Map<string, TensorMeta>, opset: number): TensorMeta[] | null {
  const rule = ruleFor(node)
  if (!rule) return null
  try {
    const ins = node.input.map((name) => (name ? tensors.get(name) : undefined))
    return rule({ node, ins, opset })
  } catch {
    // A rule that cannot decide (symbolic dims, data-dependent shapes) or meets a corrupt
    // attribute leaves the outputs unknown instead of failing the whole inspection.
    return null
  }
}

/** Runs the shape rules over the graph in topological order. */
export function inferShapes(model: ModelProto, opts: InferOptions = {}): ShapeInference {
  const graph = graphOf(model)
  const opset = defaultOpset(model) || 13
  const tensors = new Map<string, TensorMeta>()
  const constants = new Set<string>()
  seedInitializers(graph, tensors, constants)
  const batchSymbols = seedInputs(graph, opts, tensors)
  const declared = declaredIndex(graph, batchSymbols)
  const order = topoSort(graph)
  const unresolved: string[] = []
  for (const node of order) {
    const outs = applyRule(node, tensors, opset)
    node.output.forEach((name, i) => {
      if (!name) return
      let meta = outs?.[i] ?? { dtype: tensors.get(node.input[0] ?? '')?.dtype ?? 0, shape: null }
      const known = declared.get(name)
      if (!isStatic(meta.shape) && known && isStatic(known.shape)) meta = { ...meta, shape: known.shape }
      if (!meta.dtype && known) meta = { ...meta, dtype: known.dtype }
      tensors.set(name, meta)
      if (node.opType === 'Constant') constants.add(name)
      if (!isStatic(meta.shape)) unresolved.push(name)
    })
  }
  return { tensors, order, constants, unresolved, batchSymbols }
}

/** Every tensor's dims (batch 1) by name; tensors whose shape is unknown are left out. */
export function tensorShapes(model: ModelProto, opts: InferOptions = {}): Map<string, Dim[]> {
  const out = new Map<string, Dim[]>()
  for (const [name, meta] of inferShapes(model, opts).tensors) if (meta.shape) out.set(name, meta.shape)
  return out
}
