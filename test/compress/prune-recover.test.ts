/**
 * Pruning with data: least-squares and bias recovery, the activation criterion and a MACs target,
 * on graphs where the right answer is known exactly, and on the zoo's resnet8 with its real
 * Fashion-MNIST calibration split (accuracy measured on test images it never saw).
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { deriveVariant, type CalibrationFeed } from '../../main/compress/derive.js'
import { preprocessSpecFor } from '../../main/data/preprocess.js'
import { pruneWithData } from '../../main/compress/prune-derive.js'
import { parseRecipe } from '../../main/compress/recipe.js'
import { readCard } from '../../main/model-card.js'
import { encodeModel, loadModel, saveModel } from '../../main/model/onnx-io.js'
import { inspectDecoded } from '../../main/model/inspect.js'
import type { ModelProto } from '../../main/model/proto.js'
import { fashionBatch, maxRelDiff, runModel, ZOO_DIR } from '../fixtures/compress/prune-helpers.js'
import { outputTapNet } from '../fixtures/compress/prune-fixtures.js'
import { constantChannelNet, deadChannelNet, fashionTop1, redundantNet, syntheticCalibration } from '../fixtures/compress/recover-fixtures.js'

const x = new ort.Tensor('float32', Float32Array.from({ length: 4 * 192 }, (_, i) => Math.sin(i * 0.61) * 1.5), [4, 3, 8, 8])
const diff = async (a: ModelProto, b: ModelProto): Promise<number> => maxRelDiff(await runModel(a, { x }), await runModel(b, { x }))

describe('recovery on graphs with a known answer', () => {
  it('least squares puts a removed channel that is half of a kept one back into the next conv (3×3, stride 2, padding 1)', async () => {
    const parent = redundantNet()
    const none = await pruneWithData(parent, { ratio: 0.25, recover: 'none', calibration: syntheticCalibration() })
    const ls = await pruneWithData(parent, { ratio: 0.25, recover: 'ls', calibration: syntheticCalibration() })
    expect(ls.report.layers).toEqual([{ name: 'Conv_0', before: 4, after: 3 }])
    expect(ls.report.recovery).toMatchObject({ method: 'ls', layers: 1, biasOnly: 0, samples: 64 })
    expect(ls.report.calibration).toEqual({ dataset: 'synthetic', split: 'train', samples: 64 })
    expect(await diff(parent, none.model)).toBeGreaterThan(0.05)
    expect(await diff(parent, ls.model)).toBeLessThan(0.01)
  })

  it('bias compensation restores a constant channel exactly; least squares too', async () => {
    const parent = constantChannelNet()
    for (const recover of ['bias', 'ls'] as const) {
      const r = await pruneWithData(parent, { ratio: 0.25, recover, calibration: syntheticCalibration() })
      expect(r.report.layers).toEqual([{ name: 'Conv_0', before: 4, after: 3 }])
      expect(await diff(parent, r.model)).toBeLessThan(recover === 'bias' ? 1e-5 : 1e-2)
    }
    const none = await pruneWithData(parent, { ratio: 0.25, recover: 'none', calibration: syntheticCalibration() })
    expect(await diff(parent, none.model)).toBeGreaterThan(0.05)
  })

  it('the activation criterion removes the channel that never fires (L1 would keep it: largest weights)', async () => {
    const parent = deadChannelNet()
    const act = await pruneWithData(parent, { ratio: 0.25, criterion: 'activation', recover: 'none', calibration: syntheticCalibration() })
    expect(await diff(parent, act.model)).toBeLessThan(1e-6)
    const l1 = await pruneWithData(parent, { ratio: 0.25, criterion: 'l1', recover: 'none', calibration: syntheticCalibration() })
    expect(await diff(parent, l1.model)).toBeGreaterThan(1e-3)
    expect(act.report.notes.join(' ')).toMatch(/mean \|activation\|/)
  })

  it('a MACs target allocates per-group ratios from a sensitivity scan and lands at or under it', async () => {
    const parent = redundantNet()
    const r = await pruneWithData(parent, { targetMacs: 0.8, calibration: syntheticCalibration() })
    const [a, b] = [await inspectDecoded(parent, encodeModel(parent)), await inspectDecoded(r.model, encodeModel(r.model))]
    expect(b.macs / a.macs).toBeLessThanOrEqual(0.8)
    expect(r.report.targetMacs).toBe(0.8)
    expect(r.report.sensitivity?.groups).toHaveLength(1)
    const g = r.report.sensitivity?.groups[0]
    expect(g?.points.map((p) => p.ratio)).toEqual([0.25, 0.5, 0.75])
    expect(g?.points.every((p) => p.drift >= 0)).toBe(true)
    expect(g?.chosen).toBeGreaterThan(0)
    expect(r.report.recovery?.method).toBe('ls') // the default with calibration data
  })

  it('refuses what it cannot do, with the flag to use', async () => {
    const cal = syntheticCalibration()
    await expect(pruneWithData(redundantNet(), { ratio: 0.5, recover: 'ls' })).rejects.toThrow(/--calibration/)
    await expect(pruneWithData(redundantNet(), { targetMacs: 0.5 })).rejects.toThrow(/--calibration/)
    await expect(pruneWithData(redundantNet(), { ratio: 0.5, criterion: 'activation' })).rejects.toThrow(/--calibration/)
    await expect(pruneWithData(redundantNet(), { ratio: 0.5, targetMacs: 0.5, calibration: cal })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(pruneWithData(redundantNet(), { targetMacs: 1, calibration: cal })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(pruneWithData(redundantNet(), { targetMacs: 0.01, calibration: cal })).rejects.toThrow(/no smaller than/)
    await expect(pruneWithData(outputTapNet(), { ratio: 0.5 })).rejects.toThrow(/Nothing in this model can be pruned/)
    await expect(pruneWithData(redundantNet(), { ratio: 0.5, criterion: 'bn-scale', calibration: cal })).rejects.toThrow(/--criterion activation/)
  })
})

describe('resnet8 with its Fashion-MNIST calibration split', () => {
  // The calibration feed the studio resolves from resnet8's stored preprocessing (its card's).
  const feed = async (): Promise<CalibrationFeed> => {
    const card = await readCard(`${ZOO_DIR}resnet8.json`)
    return { dataset: card.dataset ?? null, spec: preprocessSpecFor(card.preprocessing) }
  }
  const dir = mkdtempSync(join(tmpdir(), 'edgebench-recover-'))

  async function top1(path: string): Promise<number> {
    const images = await fashionBatch(1000)
    const out = await runModel(await loadModel(path), { input: images })
    return fashionTop1(out.outputs.logits?.data ?? new Float32Array(), 1000)
  }

  it('--structured 0.5: least squares by default brings top-1 back from chance; the recipe names the calibration split', async () => {
    const c = await feed()
    const raw = await deriveVariant(`${ZOO_DIR}resnet8.onnx`, parseRecipe({ method: 'prune-structured', ratio: 0.5, recover: 'none' }), join(dir, 'raw.onnx'), { feed: c })
    const ls = await deriveVariant(`${ZOO_DIR}resnet8.onnx`, parseRecipe({ method: 'prune-structured', ratio: 0.5, samples: 300 }), join(dir, 'ls.onnx'), { feed: c })
    expect(ls.prune?.recovery).toMatchObject({ method: 'ls', layers: 9, samples: 300 })
    expect(ls.prune?.calibration).toEqual({ dataset: 'fashion-mnist', split: 'calibration', samples: 300 })
    expect(ls.macs).toBe(raw.macs)
    expect(await top1(raw.file)).toBeLessThan(0.3)
    expect(await top1(ls.file)).toBeGreaterThan(0.7)
  }, 240_000)

  it('--target-macs 0.5: within the target, ≥ 80 % on 1,000 test images, the scan in the report', async () => {
    const r = await deriveVariant(`${ZOO_DIR}resnet8.onnx`, parseRecipe({ method: 'prune-structured', targetMacs: 0.5, samples: 300 }), join(dir, 'm50.onnx'), { feed: await feed() })
    expect(r.macs / r.parent.macs).toBeLessThanOrEqual(0.5)
    expect(r.macs / r.parent.macs).toBeGreaterThan(0.4)
    expect(r.prune?.sensitivity?.groups).toHaveLength(6)
    expect(await top1(r.file)).toBeGreaterThan(0.8)
  }, 240_000)

  it('a model with nothing prunable and a calibration set that does not fit: BAD_INPUT / DATASET_MISMATCH, no file', async () => {
    const tap = join(dir, 'tap.onnx')
    await saveModel(outputTapNet(), tap)
    const out = join(dir, 'tap-pruned.onnx')
    await expect(deriveVariant(tap, parseRecipe({ method: 'prune-structured', ratio: 0.5 }), out)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    // A card whose preprocessing (1×28×28) does not fit the model's 3×8×8 input.
    const red = join(dir, 'red.onnx')
    await saveModel(redundantNet(), red)
    await expect(deriveVariant(red, parseRecipe({ method: 'prune-structured', ratio: 0.25 }), out, { feed: await feed() })).rejects.toMatchObject({
      code: 'DATASET_MISMATCH',
      message: expect.stringMatching(/do not fit/),
    })
    expect(existsSync(out)).toBe(false)
  }, 120_000)
})
