import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isStudioError } from '../../common/errors.js'
import type { PreprocessSpec } from '../../common/types.js'
import { DEFAULT_SESSION_OPTIONS } from '../../common/types.js'
import type { Deployment } from '../../devices/device.js'
import { CIFAR10_CLASSES } from '../../main/data/cifar-dataset.js'
import type { Dataset } from '../../main/data/dataset.js'
import { resolveDataset } from '../../main/data/datasets.js'
import { evaluateOn, evaluateWithScores } from '../../main/data/evaluate.js'
import { preprocessSpecFor } from '../../main/data/preprocess.js'
import { OrtTestDevice } from './ort-device.js'

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/data/${name}`, import.meta.url))

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p
  } catch (e) {
    if (isStudioError(e)) return { code: e.code, message: e.message }
    throw e
  }
  throw new Error('expected a StudioError')
}

const device = new OrtTestDevice()
let fmnist: Dataset
let card: { top1: number; preprocessing: PreprocessSpec }
let nchw: Deployment

function prepare(name: string): Promise<Deployment> {
  return device.prepare({ name, path: fixture(`${name}.onnx`) }, DEFAULT_SESSION_OPTIONS)
}

beforeAll(async () => {
  fmnist = await resolveDataset('fashion-mnist')
  card = JSON.parse(await readFile(fixture('fmnist-logreg-nchw.card.json'), 'utf8')) as typeof card
  nchw = await prepare('fmnist-logreg-nchw')
})

afterAll(async () => {
  await device.close()
})

describe('evaluateOn', () => {
  it('gives the full Fashion-MNIST test split the same top-1 PyTorch measured', async () => {
    const spec = preprocessSpecFor(card.preprocessing)
    const progress: number[] = []
    const r = await evaluateOn(device, nchw, fmnist, spec, { onProgress: (p) => progress.push(p.done) })
    expect([r.model, r.dataset, r.split, r.count]).toEqual([
      'fmnist-logreg-nchw',
      'fashion-mnist',
      'test',
      10000,
    ])
    // float32 ORT vs PyTorch may flip a sample or two on near-ties, never more
    expect(Math.abs(r.top1 - card.top1)).toBeLessThanOrEqual(0.0005)
    expect(r.top5).toBeGreaterThan(r.top1)
    expect(r.top5).toBeLessThanOrEqual(1)
    expect(r.preprocessing).toEqual(spec)
    expect(r.perClass.map((c) => c.count)).toEqual(new Array(10).fill(1000))
    expect(r.perClass[1]?.class).toBe('Trouser')
    // Trousers are the easiest class, shirts the hardest, for every model on Fashion-MNIST.
    expect(r.perClass[1]?.top1).toBeGreaterThan(0.9)
    expect(r.perClass[6]?.top1).toBeLessThan(r.perClass[1]?.top1 ?? 0)
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000)
    const diagonal = r.confusion.reduce((a, row, i) => a + (row[i] ?? 0), 0)
    expect(diagonal / 10000).toBeCloseTo(r.top1, 10)
    expect(progress.at(-1)).toBe(10000)
    // dynamic batch: the default 100 per batch
    expect(device.batchSizes.slice(0, 3)).toEqual([100, 100, 100])
    expect(r.throughput).toBeGreaterThan(0)
  })

  it('agrees exactly with the NHWC export of the same weights, with the layout from its shape', async () => {
    const ref = await evaluateWithScores(device, nchw, fmnist, preprocessSpecFor(card.preprocessing), {
      limit: 500,
    })
    const nhwc = await prepare('fmnist-logreg-nhwc')
    const derived = preprocessSpecFor(nhwc.inputs[0] ?? { name: '', dtype: 'float32', shape: [] })
    expect(derived.layout).toBe('NHWC')
    const spec: PreprocessSpec = { ...card.preprocessing, layout: 'NHWC' }
    const r = await evaluateOn(device, nhwc, fmnist, spec, {
      limit: 500,
      batchSize: 64,
      reference: { name: 'fmnist-logreg-nchw', scores: ref.scores },
    })
    expect(r.count).toBe(500)
    expect(r.top1).toBe(ref.result.top1)
    expect(r.agreement?.reference).toBe('fmnist-logreg-nchw')
    expect(r.agreement?.top1Agreement).toBe(1)
    expect(r.agreement?.meanCosine).toBeCloseTo(1, 5)
  })

  it('converts grey to RGB and resizes for a 3×32×32 model with a fixed batch of 1', async () => {
    const rgb = await prepare('rgb32-fixed')
    const spec = preprocessSpecFor(rgb.inputs[0] ?? { name: '', dtype: 'float32', shape: [] })
    expect(spec).toMatchObject({ layout: 'NCHW', channels: 3, height: 32, width: 32 })
    const before = device.batchSizes.length
    const r = await evaluateOn(device, rgb, fmnist, spec, { limit: 7, batchSize: 50 })
    expect(r.count).toBe(7)
    expect(device.batchSizes.slice(before)).toEqual([1, 1, 1, 1, 1, 1, 1])
  })

  it('refuses a model whose class count differs from the dataset (DATASET_MISMATCH)', async () => {
    const five = await prepare('gray28-5class')
    const spec = preprocessSpecFor(five.inputs[0] ?? { name: '', dtype: 'float32', shape: [] })
    const e = await errorOf(evaluateOn(device, five, fmnist, spec, { limit: 10 }))
    expect(e.code).toBe('DATASET_MISMATCH')
    expect(e.message).toContain('gives 5 class scores')
    expect(e.message).toContain('has 10 classes')
  })

  it('refuses a CIFAR-10 model on Fashion-MNIST although both have 10 classes', async () => {
    const rgb = await prepare('rgb32-fixed')
    const spec = preprocessSpecFor(rgb.inputs[0] ?? { name: '', dtype: 'float32', shape: [] })
    const e = await errorOf(
      evaluateOn(device, rgb, fmnist, spec, { limit: 10, labels: CIFAR10_CLASSES }),
    )
    expect(e.code).toBe('DATASET_MISMATCH')
    expect(e.message).toContain('airplane')
    expect(e.message).toContain('T-shirt/top')
    expect(e.message).toContain('10 of fashion-mnist')
  })

  it("refuses another model's card preprocessing, naming both shapes", async () => {
    const rgb = await prepare('rgb32-fixed')
    const e = await errorOf(evaluateOn(device, rgb, fmnist, card.preprocessing, { limit: 10 }))
    expect(e.code).toBe('DATASET_MISMATCH')
    expect(e.message).toContain('[1, 28, 28]')
    expect(e.message).toContain('[1, 3, 32, 32]')
  })

  it('stops with CANCELLED when the signal fires mid-way', async () => {
    const ac = new AbortController()
    const e = await errorOf(
      evaluateOn(device, nchw, fmnist, card.preprocessing, {
        onProgress: (p) => {
          if (p.done >= 200) ac.abort()
        },
        signal: ac.signal,
      }),
    )
    expect(e.code).toBe('CANCELLED')
  })
})
