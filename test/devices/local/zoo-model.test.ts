/**
 * The local device on a real zoo model (the first card in resources/models whose file exists), fed
 * by the studio's own dataset reader and preprocessing. Skipped until the zoo has a model.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS, type PreprocessSpec } from '../../../common/types.js'
import type { Batch } from '../../../devices/device.js'
import { LocalDevice } from '../../../devices/local/local-device.js'
import { batches } from '../../../main/data/batches.js'
import { resolveDataset } from '../../../main/data/datasets.js'
import { argmaxRows } from './helpers.js'

const MODELS = fileURLToPath(new URL('../../../resources/models/', import.meta.url))

function firstZooModel(): { name: string; path: string; pre: PreprocessSpec } | null {
  if (!existsSync(MODELS)) return null
  for (const f of readdirSync(MODELS)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    const card = JSON.parse(readFileSync(join(MODELS, f), 'utf8')) as {
      name: string
      file: string
      preprocessing: PreprocessSpec
      dataset?: string
    }
    const path = join(MODELS, card.file)
    if (card.dataset === 'fashion-mnist' && existsSync(path))
      return { name: card.name, path, pre: card.preprocessing }
  }
  return null
}

const zoo = firstZooModel()

describe.skipIf(zoo === null)('LocalDevice on a zoo model', { timeout: 300_000 }, () => {
  const device = new LocalDevice()
  afterAll(() => device.close())
  const m = zoo as NonNullable<typeof zoo>

  it('benchmarks and evaluates it like ORT in-process does', async () => {
    const dep = await device.prepare({ name: m.name, path: m.path }, DEFAULT_SESSION_OPTIONS)
    const r = await device.benchmark(dep, {
      warmupRuns: 3,
      warmupMs: 20,
      minRuns: 20,
      minMs: 50,
      maxMs: 20_000,
      profile: true,
    })
    expect(r.samplesUs.length).toBeGreaterThanOrEqual(20)
    expect(r.memory.peakRssBytes).toBeGreaterThan(0)
    expect(r.profile?.some((p) => p.op === 'Conv' || p.op === 'FusedConv')).toBe(true)

    const dataset = await resolveDataset('fashion-mnist', { split: 'test' })
    const collected: Batch[] = []
    for await (const b of batches(dataset, m.pre, 50, { limit: 200 })) collected.push(b)
    async function* replay(): AsyncGenerator<Batch> {
      yield* collected
    }
    const pred = await device.evaluate(dep, replay(), 200)

    const session = await ort.InferenceSession.create(m.path, {
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    })
    const input = session.inputNames[0] as string
    const ref: number[] = []
    for (const b of collected) {
      const out = await session.run({ [input]: new ort.Tensor('float32', b.data, b.dims) })
      ref.push(...argmaxRows(out[session.outputNames[0] as string]?.data as Float32Array, pred.classes))
    }
    await session.release()
    expect(argmaxRows(pred.scores, pred.classes)).toEqual(ref)
    // A trained model: most of the first 200 test images are right.
    const labels = Array.from({ length: 200 }, (_, i) => dataset.label(i))
    const correct = ref.filter((p, i) => p === labels[i]).length
    expect(correct / 200).toBeGreaterThan(0.7)
  })
})
