/**
 * Quantization and FP16 on real zoo models, checked in ONNX Runtime: what fuses, how close the
 * variants stay to FP32, the sizes, and the refusals.
 */
import * as ort from 'onnxruntime-node'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { agreement } from '../../common/metrics.js'
import type { Batch } from '../../devices/device.js'
import { batches } from '../../main/data/batches.js'
import { resolveDataset } from '../../main/data/datasets.js'
import { preprocessSpecFor } from '../../main/data/preprocess.js'
import { deriveVariant } from '../../main/compress/derive.js'
import { runtimeGraph } from '../../main/compress/explain.js'
import { convertToFp16, FP16_CPU_OPS } from '../../main/compress/fp16.js'
import { quantizeDynamic } from '../../main/compress/quantize-dynamic.js'
import { quantizeStatic } from '../../main/compress/quantize-static.js'
import { parseRecipe } from '../../main/compress/recipe.js'
import { findCard, sha256File, type ModelCard } from '../../main/model-card.js'
import { encodeModel, graphOf, loadModel, type ModelProto } from '../../main/model/index.js'
import { ElemType } from '../../main/model/tensor.js'
import { buildModel, weights } from '../model/build.js'

const root = resolve(import.meta.dirname, '../..')
const zoo = (name: string): string => join(root, 'resources/models', `${name}.onnx`)

async function cardOf(name: string): Promise<ModelCard> {
  const card = await findCard(zoo(name), await sha256File(zoo(name)))
  if (!card) throw new Error(`no card for ${name}`)
  return card
}

async function samples(card: ModelCard, split: string, count: number): Promise<Batch[]> {
  const data = await resolveDataset('fashion-mnist', { split })
  const out: Batch[] = []
  for await (const b of batches(data, preprocessSpecFor(card.preprocessing), 50, { limit: count }))
    out.push(b)
  return out
}

async function logits(model: ModelProto, data: Batch[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(encodeModel(model), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  })
  const parts: Float32Array[] = []
  for (const b of data) {
    const r = await s.run({ [s.inputNames[0] ?? '']: new ort.Tensor('float32', b.data, b.dims) })
    parts.push(Float32Array.from(r[s.outputNames[0] ?? '']?.data as Float32Array))
  }
  await s.release()
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    all.set(p, o)
    o += p.length
  }
  return all
}

async function* iterate(list: Batch[]): AsyncGenerator<Batch> {
  yield* list
}

describe('INT8 static (QDQ)', () => {
  it('fuses every Conv, Add, pool and Gemm of resnet8 into integer kernels and keeps top-1 agreement', async () => {
    const card = await cardOf('resnet8')
    const fp32 = await loadModel(zoo('resnet8'))
    const calib = await samples(card, 'calibration', 200)
    const q = await quantizeStatic(fp32, iterate(calib), {
      calibrator: 'minmax',
      perChannel: true,
      activationType: 'uint8',
      exclude: [],
    })
    const runtime = await runtimeGraph(q.model)
    const ops = runtime.quantized.map((n) => n.op)
    expect(ops.filter((o) => o === 'QLinearConv')).toHaveLength(9)
    expect(ops.filter((o) => o === 'QLinearAdd')).toHaveLength(3)
    expect(ops).toContain('QGemm')
    expect(runtime.float).toEqual([])
    expect(runtime.boundaries).toBe(2) // quantize the input, dequantize the logits
    const test = await samples(card, 'test', 500)
    const a = agreement(await logits(fp32, test), await logits(q.model, test), 10)
    expect(a.top1Agreement).toBeGreaterThan(0.98)
    // Weights int8 per channel, biases int32, activations uint8.
    const inits = graphOf(q.model).initializer
    expect(inits.filter((t) => t.dataType === ElemType.INT8).length).toBeGreaterThanOrEqual(10)
    expect(inits.filter((t) => t.dataType === ElemType.INT32).length).toBe(10)
    expect(inits.some((t) => t.dataType === ElemType.FLOAT && t.dims.length === 4)).toBe(false)
    const scale = inits.find((t) => t.name === 'w0_s') // the stem conv's weight scales
    expect(scale?.dims.map(Number)).toEqual([16])
    // Every Relu follows its Conv/Add with no Q/DQ between and a zero point of 0: the
    // QuantizeLinear clamps at 0 already, so the Relus are gone (ORT's quantizer does the same).
    const nodes = graphOf(q.model).node
    expect(nodes.filter((n) => n.opType === 'Relu')).toEqual([])
    // Bias scales are not stored: each bias DequantizeLinear's scale is Mul(input scale, weight scale).
    const producer = new Map(nodes.flatMap((n) => n.output.map((o) => [o, n] as const)))
    const biasDq = nodes.filter((n) => n.opType === 'DequantizeLinear' && /^b\d+_q$/.test(n.input[0] ?? ''))
    expect(biasDq).toHaveLength(10)
    for (const dq of biasDq) {
      const mul = producer.get(dq.input[1] ?? '')
      expect(mul?.opType).toBe('Mul')
      expect(mul?.input[1]).toMatch(/^w\d+_s$/)
      expect(inits.find((t) => t.name === mul?.input[0])?.dims).toEqual([])
    }
  }, 60_000)

  it('shufflenetv2: no Q/DQ of its own after Reshape/Transpose, yet every conv is QLinearConv with an int32 bias', async () => {
    const card = await cardOf('shufflenetv2')
    const fp32 = await loadModel(zoo('shufflenetv2'))
    const q = await quantizeStatic(fp32, iterate(await samples(card, 'calibration', 50)), {
      calibrator: 'minmax',
      perChannel: true,
      activationType: 'uint8',
      exclude: [],
    })
    const g = graphOf(q.model)
    const consumers = (t: string): string[] => g.node.filter((n) => n.input.includes(t)).map((n) => n.opType)
    const moves = g.node.filter((n) => n.opType === 'Reshape' || n.opType === 'Transpose')
    expect(moves).toHaveLength(21)
    for (const n of moves) expect(consumers(n.output[0] ?? '')).not.toContain('QuantizeLinear')
    const convs = g.node.filter((n) => n.opType === 'Conv')
    const int32 = new Set(g.initializer.filter((t) => t.dataType === ElemType.INT32).map((t) => t.name))
    const producer = new Map(g.node.flatMap((n) => n.output.map((o) => [o, n] as const)))
    for (const c of convs) expect(int32.has(producer.get(c.input[2] ?? '')?.input[0] ?? '')).toBe(true)
    const runtime = await runtimeGraph(q.model)
    expect(runtime.quantized.filter((n) => n.op === 'QLinearConv')).toHaveLength(convs.length)
    expect(runtime.float).toEqual([])
  }, 60_000)

  it('per-tensor weights use one scale; entropy and percentile clip inside the min/max range', async () => {
    const card = await cardOf('resnet8')
    const fp32 = await loadModel(zoo('resnet8'))
    const calib = await samples(card, 'calibration', 100)
    const pt = await quantizeStatic(fp32, iterate(calib), {
      calibrator: 'minmax',
      perChannel: false,
      activationType: 'uint8',
      exclude: [],
    })
    expect(graphOf(pt.model).initializer.find((t) => t.name === 'w0_s')?.dims).toEqual([])
    const mm = pt.ranges
    for (const calibrator of ['percentile', 'entropy'] as const) {
      const r = await quantizeStatic(fp32, iterate(calib), {
        calibrator,
        perChannel: true,
        activationType: 'uint8',
        exclude: [],
      })
      let narrower = 0
      for (const [t, range] of r.ranges) {
        const m = mm.get(t)
        if (!m) continue
        expect(range.max).toBeLessThanOrEqual(m.max + 1e-6)
        expect(range.min).toBeGreaterThanOrEqual(m.min - 1e-6)
        if (range.max < m.max - 1e-6) narrower += 1
      }
      expect(narrower, calibrator).toBeGreaterThan(0)
      // The logits (graph output) are never clipped.
      expect(r.ranges.get('logits')).toEqual(mm.get('logits'))
    }
  }, 60_000)

  it('leaves ops it has no int8 kernel for in float and lists them, and honours --exclude', async () => {
    const card = await cardOf('ghostnet')
    const fp32 = await loadModel(zoo('ghostnet'))
    const calib = await samples(card, 'calibration', 50)
    const firstConv = graphOf(fp32).node.find((n) => n.opType === 'Conv')?.name ?? ''
    const q = await quantizeStatic(fp32, iterate(calib), {
      calibrator: 'minmax',
      perChannel: true,
      activationType: 'uint8',
      exclude: [firstConv],
    })
    expect(
      q.plan.floatNodes.filter((n) => n.op === 'HardSigmoid').every((n) => n.reason === 'unsupported'),
    ).toBe(true)
    expect(q.plan.floatNodes.filter((n) => n.op === 'HardSigmoid').length).toBe(3)
    expect(q.plan.floatNodes).toContainEqual({ name: firstConv, op: 'Conv', reason: 'excluded' })
    const runtime = await runtimeGraph(q.model)
    expect(runtime.float.map((n) => n.op)).toEqual(expect.arrayContaining(['HardSigmoid', 'Conv']))
  }, 60_000)

  it('refuses an already-quantized model and a calibration set that does not fit, writing no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgebench-q-'))
    const card = await cardOf('resnet8')
    const q8 = join(dir, 'q8.onnx')
    const feed = { dataset: card.dataset, spec: preprocessSpecFor(card.preprocessing) }
    await deriveVariant(zoo('resnet8'), parseRecipe({ method: 'int8-static', samples: 50 }), q8, { feed })
    const again = join(dir, 'again.onnx')
    await expect(
      deriveVariant(q8, parseRecipe({ method: 'int8-static', samples: 50 }), again, { feed }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/already quantized/),
    })
    expect(existsSync(again)).toBe(false)
    // A model whose input is a 16-vector: no image dataset fits it.
    const vec = buildModel({
      inputs: [{ name: 'x', elemType: ElemType.FLOAT, dims: ['N', 16] }],
      outputs: ['y'],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: [weights('w', [16, 4])],
    })
    const vecPath = join(dir, 'vec.onnx')
    const { saveModel } = await import('../../main/model/onnx-io.js')
    await saveModel(vec, vecPath)
    const out = join(dir, 'vec-int8.onnx')
    await expect(
      deriveVariant(vecPath, parseRecipe({ method: 'int8-static', calibration: 'fashion-mnist' }), out),
    ).rejects.toMatchObject({
      code: 'DATASET_MISMATCH',
    })
    expect(existsSync(out)).toBe(false)
    await expect(deriveVariant(vecPath, parseRecipe({ method: 'int8-static' }), out)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/--calibration/),
    })
  }, 60_000)

  it('a ratio outside (0, 1) is refused before any work', () => {
    expect(() => parseRecipe({ method: 'prune-structured', ratio: 1.5 })).toThrow(/between 0 and 1/)
    expect(() => parseRecipe({ method: 'prune-unstructured', sparsity: 0 })).toThrow(/between 0 and 1/)
  })
})

describe('INT8 dynamic', () => {
  it('turns Conv into ConvInteger and Gemm into DynamicQuantizeMatMul, staying close to FP32', async () => {
    const card = await cardOf('resnet8')
    const fp32 = await loadModel(zoo('resnet8'))
    const q = quantizeDynamic(fp32, { perChannel: true, exclude: [] })
    expect(q.quantized).toHaveLength(10)
    const runtime = await runtimeGraph(q.model)
    expect(runtime.quantized.filter((n) => n.op === 'ConvInteger')).toHaveLength(9)
    expect(runtime.quantized.filter((n) => n.op === 'DynamicQuantizeMatMul')).toHaveLength(1)
    const test = await samples(card, 'test', 300)
    const a = agreement(await logits(fp32, test), await logits(q.model, test), 10)
    expect(a.top1Agreement).toBeGreaterThan(0.97)
  }, 60_000)
})

describe('FP16', () => {
  it('halves the file, keeps float32 inputs and outputs and the same predictions', async () => {
    const card = await cardOf('mobilenetv2')
    const fp32 = await loadModel(zoo('mobilenetv2'))
    const { model, report } = convertToFp16(fp32)
    const g = graphOf(model)
    expect(g.input[0]?.type?.tensorType?.elemType).toBe(ElemType.FLOAT)
    expect(g.output[0]?.type?.tensorType?.elemType).toBe(ElemType.FLOAT)
    expect(encodeModel(model).length / encodeModel(fp32).length).toBeLessThanOrEqual(0.52)
    expect(report.blocked.Conv).toBe(28)
    const test = await samples(card, 'test', 300)
    const a = agreement(await logits(fp32, test), await logits(model, test), 10)
    expect(a.top1Agreement).toBeGreaterThanOrEqual(0.996)
  }, 60_000)

  it('the ops it runs in float16 really have float16 CPU kernels (ORT inserts no Cast)', async () => {
    for (const op of ['Concat', 'Flatten', 'Transpose', 'Identity']) {
      const m = buildModel({
        inputs: [{ name: 'x', elemType: ElemType.FLOAT16, dims: [1, 2, 3, 4] }],
        outputs: [{ name: 'y', elemType: ElemType.FLOAT16 }],
        nodes: [
          {
            op,
            inputs: op === 'Concat' ? ['x', 'x'] : ['x'],
            outputs: ['y'],
            attrs: op === 'Concat' ? [{ name: 'axis', type: 2, i: 1 }] : [],
          },
        ],
      })
      expect(FP16_CPU_OPS.has(op)).toBe(true)
      const runtime = await runtimeGraph(m)
      expect(
        runtime.float.map((n) => n.op),
        op,
      ).not.toContain('Cast')
    }
    // And one it blocks does get Casts from ORT, which is why it is blocked.
    const conv = buildModel({
      inputs: [{ name: 'x', elemType: ElemType.FLOAT16, dims: [1, 2, 4, 4] }],
      outputs: [{ name: 'y', elemType: ElemType.FLOAT16 }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    })
    const { onnx } = await import('../../main/model/proto.js')
    const dir = mkdtempSync(join(tmpdir(), 'edgebench-fp16-'))
    const path = join(dir, 'opt.onnx')
    await ort.InferenceSession.create(encodeModel(conv), {
      graphOptimizationLevel: 'basic',
      optimizedModelFilePath: path,
    })
    const { readFileSync } = await import('node:fs')
    const ops = onnx.ModelProto.decode(readFileSync(path)).graph?.node?.map((n) => n.opType)
    expect(ops).toContain('Cast')
    expect(FP16_CPU_OPS.has('Relu')).toBe(false)
  }, 30_000)
})
