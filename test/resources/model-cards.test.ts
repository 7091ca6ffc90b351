/**
 * The bundled zoo (resources/models) and its dataset (resources/datasets): every model card matches
 * its ONNX file (SHA-256, size, input/output names and shapes), the size limits hold, the
 * required models are there, and ONNX Runtime runs each one on the first 16 test images with the
 * card's preprocessing and gets most of them right. No training here — tools/zoo makes the files.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { parseIdx, readIdxFile } from '../../main/data/idx.js'

const MODELS_DIR = resolve(import.meta.dirname, '../../resources/models')
const DATASETS_DIR = resolve(import.meta.dirname, '../../resources/datasets')
const MAX_FILE_BYTES = 3 * 1024 * 1024
const MAX_TOTAL_BYTES = 12 * 1024 * 1024
const SAMPLES = 16
const MIN_CORRECT = 12

const REQUIRED: Readonly<Record<string, string>> = {
  resnet8: 'resnet',
  mobilenetv2: 'mobilenetv2',
  shufflenetv2: 'shufflenetv2',
  ghostnet: 'ghostnet',
  condensenext: 'condensenext',
  asymmnet: 'asymmnet',
  leanresnet: 'leanconvnet',
  densenet: 'densenet',
  'resnet8-ee': 'resnet-ee',
  'resnet8-slim': 'resnet-slim',
  'mobilenetv2-ee': 'mobilenetv2-ee',
}

interface TensorSpec {
  name: string
  shape: (number | string)[]
  dtype: string
}

interface Card {
  name: string
  file: string
  family: string
  paper: { title: string; year: number }
  params: number
  macs: number
  top1: number
  dataset: string
  split: string
  count: number
  preprocessing: {
    layout: string
    channels: number
    height: number
    width: number
    scale: number
    mean: number[]
    std: number[]
  }
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  training: Record<string, unknown>
  sha256: string
  fileBytes: number
}

function readCards(): Card[] {
  return readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(MODELS_DIR, f), 'utf8')) as Card)
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** First `n` test images as NCHW float32, preprocessed per the card: (u8 * scale - mean[c]) / std[c]. */
function preprocess(images: Uint8Array, n: number, card: Card): Float32Array {
  const { channels, height, width, scale, mean, std } = card.preprocessing
  const plane = height * width
  const out = new Float32Array(n * channels * plane)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      const m = mean[c] ?? 0
      const s = std[c] ?? 1
      for (let p = 0; p < plane; p++) {
        const v = images[i * plane * channels + p * channels + c] ?? 0
        out[(i * channels + c) * plane + p] = (v * scale - m) / s
      }
    }
  }
  return out
}

function argmaxRows(data: Float32Array, rows: number, cols: number): number[] {
  const result: number[] = []
  for (let r = 0; r < rows; r++) {
    let best = 0
    for (let c = 1; c < cols; c++) {
      if ((data[r * cols + c] ?? -Infinity) > (data[r * cols + best] ?? -Infinity)) best = c
    }
    result.push(best)
  }
  return result
}

const cards = readCards()
const testImages = parseIdx(gunzipSync(readFileSync(join(DATASETS_DIR, 'fashion-mnist/t10k-images-idx3-ubyte.gz'))))
const testLabels = parseIdx(gunzipSync(readFileSync(join(DATASETS_DIR, 'fashion-mnist/t10k-labels-idx1-ubyte.gz'))))

describe('bundled dataset', () => {
  it('index.json lists Fashion-MNIST test and calibration splits whose files match their counts', async () => {
    const index = JSON.parse(readFileSync(join(DATASETS_DIR, 'index.json'), 'utf8')) as {
      datasets: {
        name: string
        classes: string[]
        splits: Record<string, { images: string; labels: string; count: number }>
      }[]
    }
    const fm = index.datasets.find((d) => d.name === 'fashion-mnist')
    expect(fm).toBeDefined()
    expect(fm?.classes).toHaveLength(10)
    for (const split of ['test', 'calibration']) {
      const s = fm?.splits[split]
      expect(s, split).toBeDefined()
      if (!s) continue
      const images = await readIdxFile(join(DATASETS_DIR, s.images))
      const labels = await readIdxFile(join(DATASETS_DIR, s.labels))
      expect(images.dims).toEqual([s.count, 28, 28])
      expect(labels.dims).toEqual([s.count])
      expect(Math.max(...labels.data)).toBeLessThan(10)
    }
    const calib = await readIdxFile(join(DATASETS_DIR, 'fashion-mnist/calib-labels-idx1-ubyte.gz'))
    const perClass = new Array<number>(10).fill(0)
    for (const l of calib.data) perClass[l] = (perClass[l] ?? 0) + 1
    expect(perClass).toEqual(new Array<number>(10).fill(100))
  })
})

describe('parseIdx', () => {
  const header = (dtype: number, dims: number[]): number[] => [
    0,
    0,
    dtype,
    dims.length,
    ...dims.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255]),
  ]

  it('reads dims and data', () => {
    const t = parseIdx(new Uint8Array([...header(8, [2, 3]), 1, 2, 3, 4, 5, 6]))
    expect(t.dims).toEqual([2, 3])
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('rejects bad magic, unsupported dtype, truncated header and wrong sizes with clear messages', () => {
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 7]))).toThrow(/magic/)
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]))).toThrow(/gzip/)
    expect(() => parseIdx(new Uint8Array([...header(0x0d, [1]), 0, 0, 0, 0]))).toThrow(/float32.*not supported/)
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0]))).toThrow(/truncated header/)
    expect(() => parseIdx(new Uint8Array([...header(8, [2, 2]), 1, 2, 3]))).toThrow(/truncated data/)
    expect(() => parseIdx(new Uint8Array([...header(8, [1]), 1, 2]))).toThrow(/unexpected bytes/)
    expect(() => parseIdx(new Uint8Array([0, 0]))).toThrow(/too short/)
  })
})

describe('bundled model zoo', () => {
  it('has the required models with their families', () => {
    const byName = new Map(cards.map((c) => [c.name, c]))
    for (const [name, family] of Object.entries(REQUIRED)) {
      expect(byName.get(name)?.family, name).toBe(family)
    }
  })

  it(`keeps each file within 3 MB and all together within 12 MB`, () => {
    let total = 0
    for (const card of cards) {
      const bytes = statSync(join(MODELS_DIR, card.file)).size
      expect(bytes, card.file).toBeLessThanOrEqual(MAX_FILE_BYTES)
      total += bytes
    }
    expect(total).toBeLessThanOrEqual(MAX_TOTAL_BYTES)
  })

  for (const card of cards) {
    describe(card.name, () => {
      it('card is well-formed and matches its file (SHA-256, size)', () => {
        expect(card.file).toBe(`${card.name}.onnx`)
        expect(card.paper.title.length).toBeGreaterThan(0)
        expect(Number.isInteger(card.paper.year)).toBe(true)
        expect(Number.isInteger(card.params) && card.params > 0).toBe(true)
        expect(Number.isInteger(card.macs) && card.macs > 0).toBe(true)
        // A trained zoo model keeps ≥ 88 %; a compressed variant shipped beside it (a card naming its
        // parent, e.g. the fine-tuned 50 %-pruned resnet8) may give a few points of it away.
        const parent = (card as { parent?: unknown }).parent
        expect(card.top1).toBeGreaterThanOrEqual(typeof parent === 'string' ? 0.8 : 0.88)
        expect(card.top1).toBeLessThanOrEqual(1)
        expect([card.dataset, card.split, card.count]).toEqual(['fashion-mnist', 'test', 10000])
        expect(card.preprocessing).toMatchObject({ layout: 'NCHW', channels: 1, height: 28, width: 28 })
        expect(card.preprocessing.mean).toHaveLength(1)
        expect(card.preprocessing.std).toHaveLength(1)
        expect(card.inputs).toEqual([{ name: 'input', shape: ['N', 1, 28, 28], dtype: 'float32' }])
        expect(card.outputs[0]).toEqual({ name: 'logits', shape: ['N', 10], dtype: 'float32' })
        const valTop1 = card.training['valTop1']
        expect(typeof valTop1 === 'number' && valTop1 > 0 && valTop1 <= 1).toBe(true)
        const bytes = readFileSync(join(MODELS_DIR, card.file))
        expect(bytes.length).toBe(card.fileBytes)
        expect(sha256(bytes)).toBe(card.sha256)
      })

      it(`ONNX Runtime: names/shapes as the card says; ≥ ${MIN_CORRECT}/${SAMPLES} of the first test images right`, async () => {
        const session = await ort.InferenceSession.create(join(MODELS_DIR, card.file), {
          intraOpNumThreads: 1,
          interOpNumThreads: 1,
        })
        try {
          expect([...session.inputNames]).toEqual(card.inputs.map((t) => t.name))
          expect([...session.outputNames]).toEqual(card.outputs.map((t) => t.name))
          for (const [meta, spec] of [
            ...session.inputMetadata.map((m, i) => [m, card.inputs[i]] as const),
            ...session.outputMetadata.map((m, i) => [m, card.outputs[i]] as const),
          ]) {
            expect(meta.isTensor).toBe(true)
            if (meta.isTensor && meta.shape.length > 0) expect([...meta.shape], meta.name).toEqual(spec?.shape)
          }

          const { height, width, channels } = card.preprocessing
          const x = preprocess(testImages.data, SAMPLES, card)
          const feeds = { input: new ort.Tensor('float32', x, [SAMPLES, channels, height, width]) }
          const results = await session.run(feeds)
          const labels = [...testLabels.data.subarray(0, SAMPLES)]
          for (const spec of card.outputs) {
            const out = results[spec.name]
            expect(out?.dims, spec.name).toEqual([SAMPLES, 10])
            if (spec.name !== 'logits') continue
            const predicted = argmaxRows(out?.data as Float32Array, SAMPLES, 10)
            const correct = predicted.filter((p, i) => p === labels[i]).length
            expect(correct, `${card.name}: ${correct}/${SAMPLES} right`).toBeGreaterThanOrEqual(MIN_CORRECT)
          }
        } finally {
          await session.release()
        }
      })
    })
  }
})
