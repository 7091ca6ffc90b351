import { gzipSync } from 'node:zlib'
import * as ort from 'onnxruntime-node'
import { beforeAll, describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { pruneUnstructured } from '../../main/compress/prune-unstructured.js'
import { encodeModel, loadModel } from '../../main/model/onnx-io.js'
import { inspectDecoded } from '../../main/model/inspect.js'
import { graphOf, type ModelProto } from '../../main/model/proto.js'
import { initializerToFloat32 } from '../../main/model/tensor.js'
import { fashionBatch, runModel, ZOO, ZOO_DIR } from '../fixtures/compress/prune-helpers.js'
import { quantizedNet } from '../fixtures/compress/prune-fixtures.js'

const zoo = (name: string): Promise<ModelProto> => loadModel(`${ZOO_DIR}${name}.onnx`)

/** Zeros / size of every Conv / Gemm / MatMul weight initializer (input 1), measured independently. */
function weightSparsity(model: ModelProto): { overall: number; perLayer: number[] } {
  const graph = graphOf(model)
  const inits = new Map(graph.initializer.map((t) => [t.name, t]))
  const names = new Set(graph.node.filter((n) => ['Conv', 'Gemm', 'MatMul'].includes(n.opType)).map((n) => n.input[1] ?? ''))
  let zeros = 0
  let total = 0
  const perLayer: number[] = []
  for (const name of names) {
    const t = inits.get(name)
    if (!t) continue
    const v = initializerToFloat32(t)
    const z = v.filter((x) => x === 0).length
    zeros += z
    total += v.length
    perLayer.push(z / v.length)
  }
  return { overall: zeros / total, perLayer }
}

let images: ort.Tensor
beforeAll(async () => {
  images = await fashionBatch(2)
})

describe('pruneUnstructured on every zoo model', () => {
  for (const name of ZOO) {
    it(`${name}: 50/80/90 % reach the sparsity within 1 %, shrink gzip, keep shapes and run in ORT`, async () => {
      const parent = await zoo(name)
      const parentBytes = encodeModel(parent)
      const base = await runModel(parent, { input: images })
      const baseInfo = await inspectDecoded(parent, parentBytes)
      let lastGzip = gzipSync(parentBytes, { level: 9 }).length
      for (const sparsity of [0.5, 0.8, 0.9]) {
        const { model, report } = pruneUnstructured(parent, { sparsity })
        const measured = weightSparsity(model).overall
        expect(Math.abs(measured - sparsity)).toBeLessThan(0.01)
        expect(report.sparsity).toBeCloseTo(measured, 6)
        expect(report).toMatchObject({ method: 'unstructured', ratio: sparsity, scope: 'global' })
        expect(report.notes.join(' ')).toMatch(/dense kernels do not run faster/i)
        const bytes = encodeModel(model)
        const info = await inspectDecoded(model, bytes)
        expect(info.params).toBe(baseInfo.params) // dense: nothing is removed
        expect(info.macs).toBe(baseInfo.macs)
        expect(info.gzipBytes).toBeLessThan(lastGzip)
        lastGzip = info.gzipBytes
        const run = await runModel(model, { input: images })
        expect(run.inputDims).toEqual(base.inputDims)
        for (const [k, v] of Object.entries(base.outputs)) expect(run.outputs[k]?.dims).toEqual(v.dims)
      }
      expect(encodeModel(parent)).toEqual(parentBytes) // the input model is not mutated
    })
  }
})

describe('pruneUnstructured scopes', () => {
  it('per-layer brings every layer to the sparsity; global lets layers differ', async () => {
    const parent = await zoo('mobilenetv2')
    const per = pruneUnstructured(parent, { sparsity: 0.8, scope: 'per-layer' })
    for (const s of weightSparsity(per.model).perLayer) expect(Math.abs(s - 0.8)).toBeLessThan(0.05)
    expect(per.report.scope).toBe('per-layer')
    const global = weightSparsity(pruneUnstructured(parent, { sparsity: 0.8 }).model).perLayer
    expect(Math.max(...global) - Math.min(...global)).toBeGreaterThan(0.1)
  })

  it('removes the smallest magnitudes: every kept weight is at least as large as every removed one', async () => {
    const parent = await zoo('resnet8')
    const { model } = pruneUnstructured(parent, { sparsity: 0.5 })
    const before = new Map(graphOf(parent).initializer.map((t) => [t.name, initializerToFloat32(t)]))
    let maxRemoved = 0
    let minKept = Number.POSITIVE_INFINITY
    for (const t of graphOf(model).initializer) {
      const after = initializerToFloat32(t)
      const orig = before.get(t.name)
      if (!orig || orig.length !== after.length) continue
      after.forEach((v, i) => {
        const o = Math.abs(orig[i] ?? 0)
        if (v === 0 && o !== 0) maxRemoved = Math.max(maxRemoved, o)
        else if (v !== 0) {
          expect(v).toBe(orig[i]) // kept weights are unchanged
          if (t.dims.length >= 2) minKept = Math.min(minKept, o)
        }
      })
    }
    expect(maxRemoved).toBeLessThanOrEqual(minKept)
    // Biases are never pruned.
    const bias = graphOf(model).initializer.find((t) => t.name === 'stem.conv.bias')
    expect(initializerToFloat32(bias!)).toEqual(before.get('stem.conv.bias'))
  })
})

describe('pruneUnstructured bad input', () => {
  it('refuses a sparsity outside (0, 1) and quantized models', async () => {
    const parent = await zoo('resnet8')
    for (const sparsity of [0, 1, -0.5, 2, Number.NaN]) {
      expect(() => pruneUnstructured(parent, { sparsity })).toThrow(StudioError)
      expect(() => pruneUnstructured(parent, { sparsity })).toThrow(/between 0 and 1/)
    }
    expect(() => pruneUnstructured(quantizedNet(), { sparsity: 0.5 })).toThrow(/already quantized.*Prune the float model, then quantize/)
    try {
      pruneUnstructured(quantizedNet(), { sparsity: 0.5 })
    } catch (e) {
      expect((e as StudioError).code).toBe('BAD_INPUT')
    }
  })
})
