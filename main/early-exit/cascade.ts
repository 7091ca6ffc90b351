/**
 * The early-exit cascade as one ONNX model: the chain's segments (graph.ts) joined by the rule's
 * decision and an If node per exit — segment 0; stop when exit 0 is confident, else segment 1 in
 * the If's else branch; and so on (docs/measurement.md § Early exit). The device times this model:
 * one run per sample, the tensors a later segment reads stay inside ONNX Runtime, and a stopped
 * sample never starts the later segments. The threshold is an input, fed by cascadeFeed().
 */
import { CASCADE, type ExitRule } from '../../common/early-exit.js'
import { StudioError } from '../../common/errors.js'
import { makeNode } from '../compress/graph-edit.js'
import { defaultOpset } from '../model/graph.js'
import { ElemType } from '../model/tensor.js'
import {
  graphOf,
  onnx,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from '../model/proto.js'
import type { Segment } from './graph.js'

/** A tensor's value info: its shape taken from `like` when given, [] for 'scalar', else unknown. */
function tensorInfo(name: string, elemType: number, like?: ValueInfoProto | 'scalar'): ValueInfoProto {
  const shape = like === 'scalar' ? { dim: [] } : like?.type?.tensorType?.shape
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, ...(shape ? { shape } : {}) } },
  }) as ValueInfoProto
}

function graphAttr(name: string, g: GraphProto): AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.GRAPH, g }) as AttributeProto
}

/** Reduce over the class axis to [N], in the signature of the model's opset. */
function reduce(op: 'ReduceMax' | 'ReduceSum', x: string, y: string, opset: number, name: string): NodeProto[] {
  const axesAsInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18
  if (!axesAsInput) return [makeNode(op, [x], [y], name, { axes: [1], keepdims: 0 })]
  const axes = `${y}_axes`
  return [int64Constant(axes, [1], [1]), makeNode(op, [x, axes], [y], name, { keepdims: 0 })]
}

/**
 * Nodes turning exit logits `z` into the stop condition `cond`: maxprob — max softmax ≥ T;
 * entropy — Σ p·log p ≥ T (= −H ≥ −t·ln C). The exact ends come from the feed (cascadeFeed).
 */
function decision(z: string, cond: string, rule: ExitRule, opset: number, p: string): NodeProto[] {
  const nodes: NodeProto[] = [makeNode('Softmax', [z], [`${p}prob`], `${p}softmax`, { axis: 1 })]
  const score = `${p}score`
  if (rule === 'maxprob') nodes.push(...reduce('ReduceMax', `${p}prob`, score, opset, `${p}max`))
  else {
    nodes.push(
      makeNode('LogSoftmax', [z], [`${p}logprob`], `${p}logsoftmax`, { axis: 1 }),
      makeNode('Mul', [`${p}prob`, `${p}logprob`], [`${p}plogp`], `${p}mul`),
      ...reduce('ReduceSum', `${p}plogp`, score, opset, `${p}sum`),
    )
  }
  if (opset >= 12) nodes.push(makeNode('GreaterOrEqual', [score, CASCADE.threshold], [cond], `${p}stop`))
  else {
    nodes.push(makeNode('Less', [score, CASCADE.threshold], [`${p}below`], `${p}below`))
    nodes.push(makeNode('Not', [`${p}below`], [cond], `${p}stop`))
  }
  return nodes
}

/** A Constant node holding int64 `values` of shape `dims`. */
function int64Constant(name: string, dims: number[], values: number[]): NodeProto {
  const t = onnx.TensorProto.create({ name, dataType: ElemType.INT64, dims, int64Data: values })
  const value = onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t })
  return onnx.NodeProto.create({ opType: 'Constant', output: [name], name, attribute: [value] }) as NodeProto
}

/**
 * One model running the chain with the rule's control flow. Inputs: the model's own and the
 * scalar float CASCADE.threshold; outputs: CASCADE.output (the logits the sample stopped with) and
 * CASCADE.exit (int64: the exit's index, −1 for the final output). Batch 1 only (If takes one
 * condition).
 */
export function cascadeModel(
  model: ModelProto,
  segments: Segment[],
  plan: { exits: string[]; final: string },
  rule: ExitRule,
): ModelProto {
  const graph = graphOf(model)
  const opset = defaultOpset(model)
  const used = new Set<string>(graph.node.flatMap((n) => [...n.input, ...n.output]))
  for (const v of [...graph.input, ...graph.output, ...graph.initializer]) used.add(v.name)
  const clash = [CASCADE.threshold, CASCADE.output, CASCADE.exit].find((n) => used.has(n))
  if (clash || [...used].some((n) => n.startsWith('edgebench_cascade_'))) {
    throw new StudioError(
      'MODEL_UNSUPPORTED',
      `${graph.name || 'The model'} already names a tensor '${clash ?? 'edgebench_cascade_*'}', which the early-exit cascade needs; rename it and import the model again.`,
    )
  }
  const typeOf = (name: string): number =>
    graph.output.find((o) => o.name === name)?.type?.tensorType?.elemType ?? ElemType.FLOAT
  const finalInfo = graph.output.find((o) => o.name === plan.final)
  const elemType = typeOf(plan.final)
  const last = segments.length - 1
  /** Nodes (and initializers) of segment k and everything after it; outputs y and at. */
  const body = (k: number, y: string, at: string): Pick<GraphProto, 'node' | 'initializer'> => {
    const seg = graphOf(segments[k]?.model as ModelProto)
    const node = [...seg.node]
    if (k === last) node.push(makeNode('Identity', [plan.final], [y], `${y}_id`), int64Constant(at, [], [-1]))
    else {
      const p = `edgebench_cascade_${k}_`
      const exit = plan.exits[k] as string
      // Exits of another element type than the final output (say float16) are cast: one decision
      // in float, and both branches of the If give the same type.
      const cast = (to: number, y: string): NodeProto =>
        typeOf(exit) === to ? makeNode('Identity', [exit], [y], y) : makeNode('Cast', [exit], [y], y, { to })
      const then = onnx.GraphProto.create({
        name: `${p}then`,
        node: [cast(elemType, `${p}then_y`), int64Constant(`${p}then_at`, [], [k])],
        output: [tensorInfo(`${p}then_y`, elemType, finalInfo), tensorInfo(`${p}then_at`, ElemType.INT64, 'scalar')],
      }) as GraphProto
      const rest = body(k + 1, `${p}else_y`, `${p}else_at`)
      const otherwise = onnx.GraphProto.create({
        name: `${p}else`,
        ...rest,
        output: [tensorInfo(`${p}else_y`, elemType, finalInfo), tensorInfo(`${p}else_at`, ElemType.INT64, 'scalar')],
      }) as GraphProto
      const z = typeOf(exit) === ElemType.FLOAT ? exit : `${p}z`
      if (z !== exit) node.push(cast(ElemType.FLOAT, z))
      node.push(...decision(z, `${p}cond`, rule, opset, p))
      const branch = makeNode('If', [`${p}cond`], [y, at], `${p}if`)
      branch.attribute.push(graphAttr('then_branch', then), graphAttr('else_branch', otherwise))
      node.push(branch)
    }
    return { node, initializer: [...seg.initializer] }
  }
  const first = graphOf(segments[0]?.model as ModelProto)
  const g = onnx.GraphProto.create({
    name: `${graph.name || 'model'}-cascade`,
    ...body(0, CASCADE.output, CASCADE.exit),
    input: [...first.input, tensorInfo(CASCADE.threshold, ElemType.FLOAT, 'scalar')],
    output: [tensorInfo(CASCADE.output, elemType, finalInfo), tensorInfo(CASCADE.exit, ElemType.INT64, 'scalar')],
  })
  return onnx.ModelProto.create({
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    producerName: 'edgebench early-exit cascade',
    graph: g,
    functions: model.functions,
  }) as ModelProto
}
