/**
 * INT8 static quantization in QDQ format: activations per tensor (uint8 asymmetric by default —
 * on x86, int8 activations run slower, see docs/measurement.md), weights int8 symmetric per output
 * channel (or per tensor), bias int32 with scale = input scale × weight scale. Placement: qdq-plan.ts.
 *
 * One function per step: plan where Q/DQ go (on the source graph), calibrate the planned tensors,
 * then on a copy insert the activation pairs, quantize the weights and biases, and tidy the graph.
 */
import type { Batch } from '../../devices/device.js'
import { attrInt, topoSort } from '../model/graph.js'
import { GraphIndex } from '../model/graph-index.js'
import { graphOf, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../model/proto.js'
import { inferShapes } from '../model/shapes.js'
import { ElemType, float32ToInitializer, initializerToFloat32, tensorDims } from '../model/tensor.js'
import { calibrate, type Calibrator, type Range } from './calibrate.js'
import { assertFloatModel, cloneModel, makeNode } from './graph-edit.js'
import { planQdq, type QdqPlan } from './qdq-plan.js'
import { activationParams, quantizeBias, quantizeWeights, type ActivationType, type QParams } from './quant-params.js'

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

export async function quantizeStatic(
  source: ModelProto,
  calibration: AsyncIterable<Batch>,
  opts: StaticQuantOptions,
): Promise<StaticQuantResult> {
  assertFloatModel(source, 'Start from the float32 model.')
  const plan = planStatic(source, opts.exclude)
  const ranges = await calibrate(source, plan.tensors, calibration, opts.calibrator, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
  })
  const rw = new QdqRewrite(source, plan, opts.activationType)
  rw.insertActivationPairs(ranges)
  const weightsQuantized = rw.quantizeWeightedNodes(opts.perChannel)
  rw.finish()
  return { model: rw.model, params: rw.params, plan, dequantOf: rw.dequantOf, ranges, weightsQuantized }
}

/** Where the Q/DQ pairs go, decided on the source graph. */
function planStatic(source: ModelProto, exclude: readonly string[]): QdqPlan {
  const inference = inferShapes(source)
  const index = new GraphIndex(graphOf(source))
  const isFloatActivation = (name: string): boolean =>
    name !== '' &&
    !index.initializers.has(name) &&
    !inference.constants.has(name) &&
    inference.tensors.get(name)?.dtype === ElemType.FLOAT
  return planQdq({ nodes: inference.order, index, isFloatActivation, exclude: new Set(exclude) })
}

/** Which input of a weighted op is the weight, and the output-channel axis of that weight. */
function weightAxis(node: NodeProto, dims: number[]): number | null {
  if (node.opType === 'Conv') return 0
  if (node.opType === 'Gemm') return attrInt(node, 'transB', 0) === 1 ? 0 : 1
  if (node.opType === 'MatMul') return dims.length - 1
  return null
}

/** The copy being rewritten, and what the steps learn about it on the way. */
class QdqRewrite {
  readonly model: ModelProto
  readonly params = new Map<string, QParams>()
  /** Quantized tensor → its DequantizeLinear output. */
  readonly dequantOf = new Map<string, string>()
  private readonly source: GraphProto
  private readonly graph: GraphProto
  private readonly index: GraphIndex
  private readonly tensorOfDequant = new Map<string, string>()
  private readonly scaleNameOf = new Map<string, string>()
  private readonly added: NodeProto[] = []
  private readonly newInits: TensorProto[] = []

  constructor(
    sourceModel: ModelProto,
    private readonly plan: QdqPlan,
    private readonly type: ActivationType,
  ) {
    this.source = graphOf(sourceModel)
    this.model = cloneModel(sourceModel)
    this.graph = graphOf(this.model)
    this.index = new GraphIndex(this.graph)
  }

  /** Follows pass-through ops back to the tensor whose range `t` shares, or to the first `stop` accepts. */
  private rangeSource(t: string, stop: (name: string) => boolean = () => false): string {
    let name = t
    for (let i = 0; i < 64 && !stop(name) && this.plan.shareRange.has(name); i++) name = this.plan.shareRange.get(name) as string
    return name
  }

  /** One QuantizeLinear → DequantizeLinear pair per planned tensor; its readers read the DQ output. */
  insertActivationPairs(ranges: Map<string, Range>): void {
    const zpType = this.type === 'uint8' ? ElemType.UINT8 : ElemType.INT8
    const { graph, index } = this
    // Short generated names: with hundreds of Q/DQ pairs, long names would be a sizeable part of the file.
    this.plan.tensors.forEach((t, k) => {
      const range = ranges.get(this.rangeSource(t)) ?? ranges.get(t) ?? { min: 0, max: 0 }
      const qp = activationParams(range, this.type)
      this.params.set(t, qp)
      const scale = index.fresh(`s${k}`)
      const zp = index.fresh(`z${k}`)
      this.newInits.push(float32ToInitializer(scale, [], [qp.scale]), float32ToInitializer(zp, [], [qp.zeroPoint], zpType))
      this.scaleNameOf.set(t, scale)
      const quant = index.fresh(`q${k}`)
      let from = t
      let dequant = index.fresh(`dq${k}`)
      if (index.outputs.has(t)) {
        // The graph output keeps its name and now comes out of the DequantizeLinear.
        from = index.fresh(`${t}_float`)
        for (const n of graph.node) n.output = n.output.map((x) => (x === t ? from : x))
        dequant = t
      } else {
        for (const n of graph.node) n.input = n.input.map((x) => (x === t ? dequant : x))
      }
      this.tensorOfDequant.set(dequant, t)
      this.dequantOf.set(t, dequant)
      this.added.push(
        makeNode('QuantizeLinear', [from, scale, zp], [quant], ''),
        makeNode('DequantizeLinear', [quant, scale, zp], [dequant], ''),
      )
    })
  }

  /** The copy's nodes the plan quantizes (the plan holds the source's nodes; same positions). */
  private quantizedNodes(): NodeProto[] {
    return this.graph.node.filter((_, i) => {
      const n = this.source.node[i]
      return n !== undefined && this.plan.quantized.has(n)
    })
  }

  /** Int8 weights (and int32 biases) behind DequantizeLinear for every quantized Conv/Gemm/MatMul. */
  quantizeWeightedNodes(perChannel: boolean): number {
    let count = 0
    for (const node of this.quantizedNodes()) {
      const wt = this.index.initializers.get(node.input[1] ?? '')
      if (!wt || wt.dataType !== ElemType.FLOAT || !['Conv', 'Gemm', 'MatMul'].includes(node.opType)) continue
      const dims = tensorDims(wt)
      const axis = perChannel ? weightAxis(node, dims) : null
      const scales = this.quantizeWeight(node, wt, dims, axis, count)
      this.quantizeBiasOf(node, scales, axis, count)
      count += 1
    }
    return count
  }

  private quantizeWeight(node: NodeProto, wt: TensorProto, dims: number[], axis: number | null, k: number): { name: string; values: Float32Array } {
    const { q, scales } = quantizeWeights(initializerToFloat32(wt), dims, axis)
    // Short names: long weight names repeated in Q/DQ plumbing would be a visible share of the file.
    const base = `w${k}`
    const qName = this.index.fresh(`${base}_q`)
    const sName = this.index.fresh(`${base}_s`)
    const dqName = this.index.fresh(`${base}_dq`)
    const shape = axis === null ? [] : [scales.length]
    this.newInits.push(
      float32ToInitializer(qName, dims, q, ElemType.INT8),
      float32ToInitializer(sName, shape, axis === null ? [scales[0] as number] : scales),
    )
    // Conv weights need no zero point (0 is the default for an int8 input, and ORT still fuses to
    // QLinearConv); QGemm fusion needs it written out.
    const weightInputs = [qName, sName]
    if (node.opType !== 'Conv') {
      const zName = this.index.fresh(`${base}_z`)
      this.newInits.push(float32ToInitializer(zName, shape, new Int8Array(axis === null ? 1 : scales.length), ElemType.INT8))
      weightInputs.push(zName)
    }
    this.added.push(makeNode('DequantizeLinear', weightInputs, [dqName], '', axis === null ? {} : { axis }))
    node.input[1] = dqName
    return { name: sName, values: scales }
  }

  /** Bias: int32 at input scale × weight scale, when the input activation is quantized. */
  private quantizeBiasOf(node: NodeProto, scales: { name: string; values: Float32Array }, axis: number | null, k: number): void {
    const b = node.input[2]
    const bt = b ? this.index.initializers.get(b) : undefined
    const xName = node.input[0] ?? ''
    // A Conv after a Reshape/Transpose reads it without Q/DQ; its input scale is the source's.
    const xTensor = this.rangeSource(this.tensorOfDequant.get(xName) ?? xName, (n) => this.params.has(n))
    const xParams = this.params.get(xTensor)
    const xScale = this.scaleNameOf.get(xTensor)
    if (!b || !bt || bt.dataType !== ElemType.FLOAT || !xParams || !xScale || node.opType === 'MatMul') return
    const bias = initializerToFloat32(bt)
    const perChannelScales = scales.values.length === 1 ? new Float32Array(bias.length).fill(scales.values[0] as number) : scales.values
    const qb = quantizeBias(bias, xParams.scale, perChannelScales)
    const bq = this.index.fresh(`b${k}_q`)
    const bs = this.index.fresh(`b${k}_s`)
    const bdq = this.index.fresh(`b${k}_dq`)
    this.newInits.push(float32ToInitializer(bq, [bias.length], qb.q, ElemType.INT32))
    // The bias scale is input scale × weight scale, so it is computed, not stored: 4 bytes a
    // channel less. ORT folds the Mul into a constant before it fuses QLinearConv/QGemm.
    // No zero point: it defaults to 0 of the input's type (int32), 4 bytes a channel more saved.
    this.added.push(
      makeNode('Mul', [xScale, scales.name], [bs], ''),
      makeNode('DequantizeLinear', [bq, bs], [bdq], '', axis === null ? {} : { axis: 0 }),
    )
    node.input[2] = bdq
  }

  /**
   * Relus fused with their producer (no Q/DQ between) whose output quantizes with the zero point at
   * the bottom of the integer range: the QuantizeLinear saturates every negative value to the code
   * of 0.0, which is exactly what the Relu did. The producer then writes the Relu's output itself.
   */
  private dropClampingRelus(): Set<NodeProto> {
    const qmin = this.type === 'uint8' ? 0 : -128
    const producerOf = new Map(this.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)))
    const dropped = new Set<NodeProto>()
    this.graph.node.forEach((relu, i) => {
      const x = relu.input[0] ?? ''
      const y = this.source.node[i]?.output[0] ?? ''
      if (relu.opType !== 'Relu' || !this.plan.fused.has(x) || this.params.get(y)?.zeroPoint !== qmin) return
      const producer = producerOf.get(x)
      if (!producer) return
      producer.output = producer.output.map((o) => (o === x ? (relu.output[0] as string) : o))
      dropped.add(relu)
    })
    return dropped
  }

  /** Adds the new nodes and initializers, drops what is no longer read, and re-sorts. */
  finish(): void {
    const graph = this.graph
    const dropped = this.dropClampingRelus()
    graph.node = graph.node.filter((n) => !dropped.has(n))
    graph.node.push(...this.added)
    graph.initializer.push(...this.newInits)
    // Float weights no longer read by any node (now stored as int8) leave the file.
    const read = new Set(graph.node.flatMap((n) => n.input))
    const sourceInits = new Set(this.source.initializer.map((t) => t.name))
    graph.initializer = graph.initializer.filter((t) => read.has(t.name) || this.index.outputs.has(t.name))
    graph.input = graph.input.filter((i) => !sourceInits.has(i.name) || read.has(i.name))
    graph.node = topoSort(graph)
    graph.valueInfo = []
  }
}
