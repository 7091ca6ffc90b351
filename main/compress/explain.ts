/**
 * "Why is my INT8 model (not) faster?": what ONNX Runtime actually runs after its optimiser (from
 * `optimizedModelFilePath`), how far each quantized tensor drifts from FP32 (cosine similarity and
 * relative L2 on calibration samples), and the top-1 agreement with the FP32 model.
 */
import * as ort from 'onnxruntime-node'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LayerError } from '../../common/compress.js'
import { agreement } from '../../common/metrics.js'
import type { Batch } from '../../devices/device.js'
import { encodeModel } from '../model/onnx-io.js'
import { graphOf, onnx, type ModelProto } from '../model/proto.js'
import { streamTaps } from './activations.js'

const INTEGER_OPS = new Set([
  'QLinearConv', 'QLinearAdd', 'QLinearMul', 'QLinearConcat', 'QLinearGlobalAveragePool',
  'QLinearAveragePool', 'QGemm', 'QLinearMatMul', 'QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearSoftmax',
  'ConvInteger', 'MatMulInteger', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'QLinearReduceMean',
])
const BOUNDARY_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear'])
/** Ops that move or reshape data and do no arithmetic worth naming. */
const MOVEMENT_OPS = new Set([
  'Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Shape', 'Gather', 'Slice',
  'Split', 'Cast', 'ReorderInput', 'ReorderOutput', 'Constant',
])

export interface RuntimeGraph {
  /** Nodes running integer kernels after ORT's optimiser. */
  quantized: { name: string; op: string }[]
  /** Arithmetic nodes still running in float. */
  float: { name: string; op: string }[]
  /** Quantize/Dequantize nodes left: each is a float↔int8 conversion paid per inference. */
  boundaries: number
  /** Transpose nodes in the optimised graph (ORT runs QLinearConv in NHWC and adds layout Transposes). */
  transposes: number
}

export type { LayerError }

export interface QuantExplanation {
  runtime: RuntimeGraph
  /** Per quantized tensor, in graph order. */
  layers: LayerError[]
  agreement: { top1: number; meanCosine: number; samples: number }
}

/** The graph ORT runs for `model` at optimisation level `all` on this computer's CPU provider. */
export async function runtimeGraph(model: ModelProto): Promise<RuntimeGraph> {
  const dir = await mkdtemp(join(tmpdir(), 'edgebench-opt-'))
  try {
    const path = join(dir, 'optimized.onnx')
    const session = await ort.InferenceSession.create(encodeModel(model), {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      optimizedModelFilePath: path,
      logSeverityLevel: 3,
    })
    await session.release()
    const optimized = onnx.ModelProto.decode(await readFile(path))
    const out: RuntimeGraph = { quantized: [], float: [], boundaries: 0, transposes: 0 }
    for (const n of graphOf(optimized).node) {
      const entry = { name: n.name, op: n.opType }
      if (n.opType === 'Transpose') out.transposes += 1
      if (INTEGER_OPS.has(n.opType)) out.quantized.push(entry)
      else if (BOUNDARY_OPS.has(n.opType)) out.boundaries += 1
      else if (!MOVEMENT_OPS.has(n.opType)) out.float.push(entry)
    }
    return out
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The graph output of both models on every sample (ORT's full optimisation, as deployed). */
async function bothOutputs(fp32: ModelProto, quantized: ModelProto, samples: Batch[], output: string): Promise<[Float32Array[], Float32Array[]]> {
  const ref: Float32Array[] = []
  const got: Float32Array[] = []
  const taps = [fp32, quantized].map((model) => ({ model, names: [output], optimization: 'all' as const }))
  await streamTaps(
    taps,
    samples,
    (_, [a, b]) => {
      ref.push(Float32Array.from(a?.get(output)?.data ?? []))
      got.push(Float32Array.from(b?.get(output)?.data ?? []))
    },
    { threads: 1, what: 'explanation' },
  )
  return [ref, got]
}

/** Running sums for the cosine similarity and relative L2 of one tensor across batches. */
class Drift {
  private dot = 0
  private na = 0
  private nb = 0
  private diff = 0

  add(x: Float32Array, y: Float32Array): void {
    for (let i = 0; i < x.length; i++) {
      const u = x[i] as number
      const v = y[i] as number
      this.dot += u * v
      this.na += u * u
      this.nb += v * v
      this.diff += (u - v) * (u - v)
    }
  }

  result(): { cosine: number; relativeL2: number } {
    const cosine = this.na === 0 && this.nb === 0 ? 1 : this.dot / (Math.sqrt(this.na * this.nb) || 1)
    return { cosine, relativeL2: this.na === 0 ? Math.sqrt(this.diff) : Math.sqrt(this.diff / this.na) }
  }
}

/**
 * Per-tensor drift, batch by batch (memory stays one batch of activations). The simulated graph
 * (no fusion) exposes every DequantizeLinear output; fused int8 kernels differ from it only in the
 * rounding of their int32 accumulators.
 */
async function layerDrift(fp32: ModelProto, quantized: ModelProto, samples: Batch[], tensors: Map<string, string>): Promise<LayerError[]> {
  const names = [...tensors.keys()]
  const dqs = [...tensors.values()]
  const drifts = names.map(() => new Drift())
  const taps = [
    { model: fp32, names, optimization: 'disabled' as const },
    { model: quantized, names: dqs, optimization: 'disabled' as const },
  ]
  await streamTaps(
    taps,
    samples,
    (_, [ra, rb]) => {
      names.forEach((n, i) => {
        const x = ra?.get(n)?.data
        const y = rb?.get(dqs[i] ?? '')?.data
        if (x && y) drifts[i]?.add(x, y)
      })
    },
    { threads: 1, what: 'explanation' },
  )
  return names.map((t, i) => ({ tensor: t, ...(drifts[i] as Drift).result() }))
}

/**
 * Explains a quantized model against its FP32 parent. `tensors` maps each quantized FP32 tensor to
 * the name standing for it in the quantized model (its DequantizeLinear output); empty for dynamic.
 */
export async function explainQuantized(
  fp32: ModelProto,
  quantized: ModelProto,
  samples: Batch[],
  tensors: Map<string, string>,
): Promise<QuantExplanation> {
  const runtime = await runtimeGraph(quantized)
  const output = graphOf(fp32).output[0]?.name ?? ''
  const [ref, got] = await bothOutputs(fp32, quantized, samples, output)
  const concat = (xs: Float32Array[]): Float32Array => {
    const all = new Float32Array(xs.reduce((a, x) => a + x.length, 0))
    let o = 0
    for (const x of xs) {
      all.set(x, o)
      o += x.length
    }
    return all
  }
  const count = samples.reduce((a, b) => a + b.count, 0)
  const refScores = concat(ref)
  const classes = count > 0 ? refScores.length / count : 1
  const agree = agreement(refScores, concat(got), classes)
  const layers = tensors.size > 0 ? await layerDrift(fp32, quantized, samples, tensors) : []
  return { runtime, layers, agreement: { top1: agree.top1Agreement, meanCosine: agree.meanCosine, samples: count } }
}

// The pure part (no ONNX Runtime) lives apart so the engine process can import it.
export { explainSpeed, type SpeedFacts } from './explain-speed.js'
