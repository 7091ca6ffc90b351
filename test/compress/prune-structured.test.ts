import * as ort from 'onnxruntime-node'
import { beforeAll, describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { expectedRelu } from '../../main/compress/prune-plan.js'
import { planStructured, pruneStructured } from '../../main/compress/prune-structured.js'
import { encodeModel, loadModel } from '../../main/model/onnx-io.js'
import { inspectDecoded } from '../../main/model/inspect.js'
import { attrInt } from '../../main/model/graph.js'
import { graphOf, type ModelProto } from '../../main/model/proto.js'
import { inferShapes } from '../../main/model/shapes.js'
import { tensorDims } from '../../main/model/tensor.js'
import { fashionBatch, maxRelDiff, runModel, zeroChannels, ZOO, ZOO_DIR } from '../fixtures/compress/prune-helpers.js'
import { BN, bnResidualNet, flattenHeadNet, outputTapNet, quantizedNet } from '../fixtures/compress/prune-fixtures.js'

const zoo = (name: string): Promise<ModelProto> => loadModel(`${ZOO_DIR}${name}.onnx`)

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    return e instanceof StudioError ? e.code : 'not a StudioError'
  }
  return undefined
}

function argsortAsc(v: number[]): number[] {
  return v.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x || a.i - b.i).map((e) => e.i)
}

let images: ort.Tensor
beforeAll(async () => {
  images = await fashionBatch(4)
})

describe('pruneStructured on every zoo model', () => {
  it('has the zoo', () => expect(ZOO.length).toBeGreaterThanOrEqual(10))

  for (const name of ZOO) {
    it(`${name}: 25/50/75 % give smaller models that run in ORT with the parent's input and output shapes`, async () => {
      const parent = await zoo(name)
      const parentBytes = encodeModel(parent)
      const base = await runModel(parent, { input: images })
      const baseInfo = await inspectDecoded(parent, parentBytes)
      let lastMacs = baseInfo.macs
      for (const ratio of [0.25, 0.5, 0.75]) {
        const { model, report } = pruneStructured(parent, { ratio })
        const run = await runModel(model, { input: images })
        expect(run.inputDims).toEqual(base.inputDims)
        for (const [k, v] of Object.entries(base.outputs)) expect(run.outputs[k]?.dims).toEqual(v.dims)
        for (const v of Object.values(run.outputs)) expect(v.data.every(Number.isFinite)).toBe(true)
        const info = await inspectDecoded(model, encodeModel(model))
        expect(info.macs).toBeLessThan(lastMacs) // more pruning, fewer MACs
        lastMacs = info.macs
        expect(report).toMatchObject({ method: 'structured', ratio, criterion: 'l1' })
        expect(report.layers.length).toBeGreaterThan(0)
        for (const l of report.layers) expect(l.after).toBeGreaterThanOrEqual(1)
      }
      expect(encodeModel(parent)).toEqual(parentBytes) // the input model is not mutated
    })

    it(`${name}: zeroing the channels a 50 % plan removes, then pruning, leaves the outputs unchanged`, async () => {
      const parent = await zoo(name)
      const plan = planStructured(parent, { ratio: 0.5 })
      const zeroed = zeroChannels(parent, plan.removed)
      // The zeroed channels are now the least important, so the same channels go.
      expect(planStructured(zeroed, { ratio: 0.5 }).removed).toEqual(plan.removed)
      const { model } = pruneStructured(zeroed, { ratio: 0.5 })
      const before = await runModel(zeroed, { input: images })
      const after = await runModel(model, { input: images })
      expect(maxRelDiff(before, after)).toBeLessThan(1e-5)
    })
  }
})

describe('dependency analysis', () => {
  it('resnet8 50 %: MACs at most 40 % of the parent', async () => {
    const parent = await zoo('resnet8')
    const { model } = pruneStructured(parent, { ratio: 0.5 })
    const a = await inspectDecoded(parent, encodeModel(parent))
    const b = await inspectDecoded(model, encodeModel(model))
    expect(b.macs / a.macs).toBeLessThanOrEqual(0.4)
    expect(b.params).toBeLessThan(a.params * 0.4)
  })

  it('residual Add: the stem and the block output conv lose the same channels, jointly', async () => {
    const plan = planStructured(await zoo('resnet8'), { ratio: 0.5 })
    const group = plan.pruned.find((p) => p.group.convs.some((c) => c.includes('stem')))
    expect(group?.group.convs).toHaveLength(2)
    expect(group?.group.convs.join(' ')).toMatch(/stack1\/conv2/)
    const [stem, conv2] = group?.group.convs ?? []
    expect(plan.removed.get(stem ?? '')).toHaveLength(8)
    expect(plan.removed.get(stem ?? '')).toEqual(plan.removed.get(conv2 ?? ''))
  })

  it('Concat (densenet): each concatenated slot shrinks by its own producer\'s removed channels', async () => {
    const parent = await zoo('densenet')
    const { model } = pruneStructured(parent, { ratio: 0.5 })
    const shapes = inferShapes(model).tensors
    const parentShapes = inferShapes(parent).tensors
    const concats = graphOf(model).node.filter((n) => n.opType === 'Concat')
    expect(concats.length).toBeGreaterThan(5)
    for (const c of concats) {
      const ch = (s: typeof shapes, t: string): number => Number(s.get(t)?.shape?.[1])
      const sum = c.input.reduce((acc, i) => acc + ch(shapes, i), 0)
      expect(ch(shapes, c.output[0] ?? '')).toBe(sum)
      expect(ch(shapes, c.output[0] ?? '')).toBeLessThan(ch(parentShapes, c.output[0] ?? ''))
    }
  })

  it('depthwise (mobilenetv2): the depthwise conv follows its producer, group = channels', async () => {
    const parent = await zoo('mobilenetv2')
    const { model } = pruneStructured(parent, { ratio: 0.5 })
    const inits = new Map(graphOf(model).initializer.map((t) => [t.name, t]))
    const parentInits = new Map(graphOf(parent).initializer.map((t) => [t.name, t]))
    const dws = graphOf(model).node.filter((n) => n.opType === 'Conv' && attrInt(n, 'group', 1) > 1)
    expect(dws.length).toBeGreaterThan(3)
    for (const n of dws) {
      const w = tensorDims(inits.get(n.input[1] ?? '')!)
      expect(attrInt(n, 'group', 1)).toBe(w[0])
      expect(w[0]).toBeLessThan(tensorDims(parentInits.get(n.input[1] ?? '')!)[0] ?? 0)
    }
  })

  for (const head of ['flatten-gemm', 'reshape-gemm', 'reshape-matmul'] as const) {
    it(`${head}: each removed channel takes its H·W = 16 weight columns along, exactly`, async () => {
      const parent = flattenHeadNet(head)
      const plan = planStructured(parent, { ratio: 0.5 })
      expect(plan.pruned).toHaveLength(1)
      const zeroed = zeroChannels(parent, plan.removed)
      const { model } = pruneStructured(zeroed, { ratio: 0.5 })
      const fc = graphOf(model).initializer.find((t) => t.name.startsWith(head === 'flatten-gemm' ? 'fc.w' : 'fc.wt'))
      expect(tensorDims(fc!)).toEqual(head === 'flatten-gemm' ? [5, 48] : [48, 5])
      const x = new ort.Tensor('float32', Float32Array.from({ length: 2 * 128 }, (_, i) => Math.sin(i)), [2, 2, 8, 8])
      expect(maxRelDiff(await runModel(zeroed, { x }), await runModel(model, { x }))).toBeLessThan(1e-5)
    })
  }

  it('leaves graph outputs alone, with reasons; prunes through channel shuffles and grouped convs', async () => {
    const tap = pruneStructured(outputTapNet(), { ratio: 0.5 })
    expect(tap.report.layers).toEqual([])
    expect(tap.report.skipped.map((s) => s.reason).join('\n')).toMatch(/graph output/)
    // Shuffles and grouped convs were refused before issue 12; now they are pruned (whole shuffle
    // columns, equal-sized groups) and nothing is left alone in these two models.
    for (const name of ['shufflenetv2', 'condensenext']) {
      const parent = await zoo(name)
      const { model, report } = pruneStructured(parent, { ratio: 0.5 })
      expect(report.skipped).toEqual([])
      const [a, b] = await Promise.all([inspectDecoded(parent, encodeModel(parent)), inspectDecoded(model, encodeModel(model))])
      expect(b.macs / a.macs).toBeLessThan(0.4)
    }
  })
})

describe('BatchNormalization criteria (fixture with surviving BN and a residual)', () => {
  const removedOf = (criterion: 'bn-scale' | 'bn-activation' | 'l1'): Map<string, number[]> =>
    planStructured(bnResidualNet(), { ratio: 0.5, criterion }).removed

  it('bn-scale removes the channels with the smallest |γ|, summed over the residual pair', () => {
    const removed = removedOf('bn-scale')
    const summed = BN.bn1.gamma.map((g, i) => Math.abs(g) + Math.abs(BN.bn3.gamma[i] ?? 0))
    expect([...(removed.get('BatchNormalization_1') ?? [])].sort()).toEqual(argsortAsc(summed).slice(0, 4).sort())
    expect([...(removed.get('BatchNormalization_1') ?? [])].sort()).toEqual([1, 3, 5, 6])
    expect(removed.get('BatchNormalization_7')).toEqual(removed.get('BatchNormalization_1'))
    expect([...(removed.get('BatchNormalization_4') ?? [])].sort()).toEqual([1, 3, 4])
  })

  it('bn-activation removes the channels with the smallest expected ReLU output', () => {
    const removed = removedOf('bn-activation')
    const e2 = BN.bn2.gamma.map((g, i) => expectedRelu(g, BN.bn2.beta[i] ?? 0))
    expect([...(removed.get('BatchNormalization_4') ?? [])].sort()).toEqual(argsortAsc(e2).slice(0, 3).sort())
    // Channel 1 has a tiny γ but β = 2: it always fires, so bn-activation keeps what bn-scale drops.
    expect(removed.get('BatchNormalization_4')).not.toContain(1)
    expect(expectedRelu(0.3, 0.1)).toBeCloseTo(0.1 * 0.63056 + 0.3 * 0.37738, 4)
  })

  it('slices BN parameters so a zeroed channel (γ = β = 0) prunes without changing outputs', async () => {
    const parent = bnResidualNet()
    const plan = planStructured(parent, { ratio: 0.5, criterion: 'bn-scale' })
    const zeroed = zeroChannels(parent, plan.removed)
    const { model, report } = pruneStructured(zeroed, { ratio: 0.5, criterion: 'bn-scale' })
    expect(report.layers.map((l) => [l.before, l.after])).toEqual([[8, 4], [6, 3]])
    const x = new ort.Tensor('float32', Float32Array.from({ length: 2 * 192 }, (_, i) => Math.cos(i * 0.7)), [2, 3, 8, 8])
    expect(maxRelDiff(await runModel(zeroed, { x }), await runModel(model, { x }))).toBeLessThan(1e-5)
    const bn = graphOf(model).initializer.find((t) => t.name === 'bn1.var')
    expect(tensorDims(bn!)).toEqual([4])
  })
})

describe('bad input', () => {
  it('refuses a ratio outside (0, 1), quantized models, and BN criteria without BN', async () => {
    const resnet = await zoo('resnet8')
    for (const ratio of [0, 1, -0.2, 1.5, Number.NaN]) expect(codeOf(() => pruneStructured(resnet, { ratio }))).toBe('BAD_INPUT')
    expect(codeOf(() => pruneStructured(quantizedNet(), { ratio: 0.5 }))).toBe('BAD_INPUT')
    expect(() => pruneStructured(quantizedNet(), { ratio: 0.5 })).toThrow(/Prune the float model, then quantize/)
    for (const criterion of ['bn-scale', 'bn-activation'] as const) {
      expect(() => pruneStructured(resnet, { ratio: 0.5, criterion })).toThrow(/BatchNormalization[\s\S]*none[\s\S]*l1/)
      expect(codeOf(() => pruneStructured(resnet, { ratio: 0.5, criterion }))).toBe('BAD_INPUT')
    }
  })
})
