/**
 * INT8 static quantization in QDQ format: activations per tensor (uint8 asymmetric by default —
 * on x86, int8 activations run slower, see docs/measurement.md), weights int8 symmetric per output
 * channel (or per tensor), bias int32 with scale = input scale × weight scale. Placement: qdq-plan.ts.
 */
import type { Batch } from '../../devices/device.js'
import { topoSort } from '../model/graph.js'
import { graphOf, type ModelProto, type NodeProto, type TensorProto } from '../model/proto.js'
import { inferShapes } from '../model/shapes.js'
import { ElemType, float32ToInitializer, initializerToFloat32, tensorDims } from '../model/tensor.js'
import { attrInt } from '../model/graph.js'
import { calibrate, type Calibrator, type Range } from './calibrate.js'
import { assertFloatModel, cloneModel, consumersOf, initializerMap, makeNode, NameGen } from './graph-edit.js'
import { planQdq, type QdqPlan } from './qdq-plan.js'
import {
  activationParams,
  quantizeBias,
  quantizeWeights,
  type ActivationType,
  type QParams,
} from './quant-params.js'

export interface StaticQuantOptions {
  calibrator: Calibrator
  /** Per output channel weight scales (default) or one per tensor. */
  perChannel: boolean
  activationType: ActivationType
  /** Node names to keep in float. */
  exclude: string[]
  signal?: AbortSignal
  onBatch?: (done: number) => void
}

export interface StaticQuantResult {
  model: ModelProto
  /** Quantized activation tensors and their parameters. */
  params: Map<string, QParams>
  plan: QdqPlan
  /** The DequantizeLinear output standing for each quantized activation tensor. */
  dequantOf: Map<string, string>
  /** Calibrated ranges (before sharing), for the report. */
  ranges: Map<string, Range>
  weightsQuantized: number
}

/**
 * Relus fused with their producer (no Q/DQ between) whose output quantizes with the zero point at
 * the bottom of the integer range: the QuantizeLinear saturates every negative value to the code
 * of 0.0, which is exactly what the Relu did. The producer then writes the Relu's output itself.
 * `copy` and `source` list the same nodes in the same order.
 */
function dropClampingRelus(
  copy: NodeProto[],
  source: NodeProto[],
  plan: QdqPlan,
  params: Map<string, QParams>,
  type: ActivationType,
): Set<NodeProto> {
  const qmin = type === 'uint8' ? 0 : -128
  const producerOf = new Map(copy.flatMap((n) => n.output.map((o) => [o, n] as const)))
  const dropped = new Set<NodeProto>()
  copy.forEach((relu, i) => {
    const x = relu.input[0] ?? ''
    const y = source[i]?.output[0] ?? ''
    if (relu.opType !== 'Relu' || !plan.fused.has(x) || params.get(y)?.zeroPoint !== qmin) return
    const producer = producerOf.get(x)
    if (!producer) return
    producer.output = producer.output.map((o) => (o === x ? (relu.output[0] as string) : o))
    dropped.add(relu)
  })
  return dropped
}

/** Which input of a weighted op is the weight, and the output-channel axis of that weight. */
function weightAxis(node: NodeProto, dims: number[]): number | null {
  if (node.opType === 'Conv') return 0
  if (node.opType === 'Gemm') return attrInt(node, 'transB', 0) === 1 ? 0 : 1
  if (node.opType === 'MatMul') return dims.length - 1
  return null
}

export async function quantizeStatic(
  source: ModelProto,
  calibration: AsyncIterable<Batch>,
  opts: StaticQuantOptions,
): Promise<StaticQuantResult> {
  assertFloatModel(source, 'Start from the float32 model.')
  const inference = inferShapes(source)
  const graph0 = graphOf(source)
  const initializers0 = initializerMap(graph0)
  const isFloatActivation = (name: string): boolean =>
    name !== '' &&
    !initializers0.has(name) &&
    !inference.constants.has(name) &&
    inference.tensors.get(name)?.dtype === ElemType.FLOAT
  const plan = planQdq({
    nodes: inference.order,
    isFloatActivation,
    consumers: consumersOf(graph0),
    graphOutputs: new Set(graph0.output.map((o) => o.name)),
    exclude: new Set(opts.exclude),
  })
  const ranges = await calibrate(source, plan.tensors, calibration, opts.calibrator, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
  })
  /** Follows pass-through ops back to the tensor whose range `t` shares, or to the first `stop` accepts. */
  const rangeSource = (t: string, stop: (name: string) => boolean = () => false): string => {
    let name = t
    for (let i = 0; i < 64 && !stop(name) && plan.shareRange.has(name); i++)
      name = plan.shareRange.get(name) as string
    return name
  }
  const rangeOf = (t: string): Range => ranges.get(rangeSource(t)) ?? ranges.get(t) ?? { min: 0, max: 0 }

  const model = cloneModel(source)
  const graph = graphOf(model)
  const names = new NameGen(graph)
  const nodesByName = new Map(graph.node.map((n, i) => [`${i}`, n]))
  // Map the plan's nodes (from the source graph) onto the copy by position.
  const quantizedCopy = new Set<NodeProto>()
  graph0.node.forEach((n, i) => {
    if (plan.quantized.has(n)) quantizedCopy.add(nodesByName.get(`${i}`) as NodeProto)
  })
  const inits = initializerMap(graph)
  const added: NodeProto[] = []
  const newInits: TensorProto[] = []
  const zpType = opts.activationType === 'uint8' ? ElemType.UINT8 : ElemType.INT8
  const graphOutputs = new Set(graph.output.map((o) => o.name))

  const params = new Map<string, QParams>()
  const tensorOfDequant = new Map<string, string>()
  const dequantOf = new Map<string, string>()
  const scaleNameOf = new Map<string, string>()
  // Short generated names: with hundreds of Q/DQ pairs, long names would be a sizeable part of the file.
  plan.tensors.forEach((t, k) => {
    const qp = activationParams(rangeOf(t), opts.activationType)
    params.set(t, qp)
    const scale = names.fresh(`s${k}`)
    const zp = names.fresh(`z${k}`)
    newInits.push(
      float32ToInitializer(scale, [], [qp.scale]),
      float32ToInitializer(zp, [], [qp.zeroPoint], zpType),
    )
    scaleNameOf.set(t, scale)
    const quant = names.fresh(`q${k}`)
    let source = t
    let dequant = names.fresh(`dq${k}`)
    if (graphOutputs.has(t)) {
      // The graph output keeps its name and now comes out of the DequantizeLinear.
      source = names.fresh(`${t}_float`)
      for (const n of graph.node) n.output = n.output.map((x) => (x === t ? source : x))
      dequant = t
    } else {
      for (const n of graph.node) n.input = n.input.map((x) => (x === t ? dequant : x))
    }
    tensorOfDequant.set(dequant, t)
    dequantOf.set(t, dequant)
    added.push(
      makeNode('QuantizeLinear', [source, scale, zp], [quant], ''),
      makeNode('DequantizeLinear', [quant, scale, zp], [dequant], ''),
    )
  })

  let weightsQuantized = 0
  for (const node of quantizedCopy) {
    const w = node.input[1]
    const wt = w ? inits.get(w) : undefined
    if (!w || !wt || wt.dataType !== ElemType.FLOAT || !['Conv', 'Gemm', 'MatMul'].includes(node.opType))
      continue
    const dims = tensorDims(wt)
    const axis = opts.perChannel ? weightAxis(node, dims) : null
    const { q, scales } = quantizeWeights(initializerToFloat32(wt), dims, axis)
    const k = weightsQuantized
    // Short names: long weight names repeated in Q/DQ plumbing would be a visible share of the file.
    const base = `w${k}`
    const qName = names.fresh(`${base}_q`)
    const sName = names.fresh(`${base}_s`)
    const dqName = names.fresh(`${base}_dq`)
    const shape = axis === null ? [] : [scales.length]
    newInits.push(
      float32ToInitializer(qName, dims, q, ElemType.INT8),
      float32ToInitializer(sName, shape, axis === null ? [scales[0] as number] : scales),
    )
    // Conv weights need no zero point (0 is the default for an int8 input, and ORT still fuses to
    // QLinearConv); QGemm fusion needs it written out.
    const weightInputs = [qName, sName]
    if (node.opType !== 'Conv') {
      const zName = names.fresh(`${base}_z`)
      newInits.push(
        float32ToInitializer(zName, shape, new Int8Array(axis === null ? 1 : scales.length), ElemType.INT8),
      )
      weightInputs.push(zName)
    }
    added.push(makeNode('DequantizeLinear', weightInputs, [dqName], '', axis === null ? {} : { axis }))
    node.input[1] = dqName
    weightsQuantized += 1
    // Bias: int32 at input scale × weight scale, when the input activation is quantized.
    const b = node.input[2]
    const bt = b ? inits.get(b) : undefined
    const xName = node.input[0] ?? ''
    // A Conv after a Reshape/Transpose reads it without Q/DQ; its input scale is the source's.
    const xTensor = rangeSource(tensorOfDequant.get(xName) ?? xName, (n) => params.has(n))
    const xParams = params.get(xTensor)
    const xScale = scaleNameOf.get(xTensor)
    if (b && bt && bt.dataType === ElemType.FLOAT && xParams && xScale && node.opType !== 'MatMul') {
      const bias = initializerToFloat32(bt)
      const perChannelScales =
        scales.length === 1 ? new Float32Array(bias.length).fill(scales[0] as number) : scales
      const qb = quantizeBias(bias, xParams.scale, perChannelScales)
      const bq = names.fresh(`b${k}_q`)
      const bs = names.fresh(`b${k}_s`)
      const bdq = names.fresh(`b${k}_dq`)
      newInits.push(float32ToInitializer(bq, [bias.length], qb.q, ElemType.INT32))
      // The bias scale is input scale × weight scale, so it is computed, not stored: 4 bytes a
      // channel less. ORT folds the Mul into a constant before it fuses QLinearConv/QGemm.
      // No zero point: it defaults to 0 of the input's type (int32), 4 bytes a channel more saved.
      added.push(
        makeNode('Mul', [xScale, sName], [bs], ''),
        makeNode('DequantizeLinear', [bq, bs], [bdq], '', axis === null ? {} : { axis: 0 }),
      )
      node.input[2] = bdq
    }
  }
  const dropped = dropClampingRelus(graph.node, graph0.node, plan, params, opts.activationType)
  graph.node = graph.node.filter((n) => !dropped.has(n))
  graph.node.push(...added)
  graph.initializer.push(...newInits)
  // Float weights no longer read by any node (now stored as int8) leave the file.
  const read = new Set(graph.node.flatMap((n) => n.input))
  graph.initializer = graph.initializer.filter((t) => read.has(t.name) || graphOutputs.has(t.name))
  graph.input = graph.input.filter((i) => !initializers0.has(i.name) || read.has(i.name))
  graph.node = topoSort(graph)
  graph.valueInfo = []
  return { model, params, plan, dequantOf, ranges, weightsQuantized }
}
