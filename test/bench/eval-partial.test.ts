/**
 * An evaluation that stops early keeps its predictions and reports the accuracy of the samples it
 * got (the local device, real store): the per-sample predictions are written as batches arrive.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS, type EvalResult } from '../../common/types.js'
import { Studio } from '../../main/studio.js'

const model = resolve(import.meta.dirname, '../../resources/models/resnet8.onnx')
let dir: string
let studio: Studio

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-partial-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
})
afterAll(async () => {
  await studio.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('evaluation stopped early', () => {
  it('a cancelled eval keeps the predictions received and their accuracy as a partial result', async () => {
    const m = await studio.importModel(model)
    const id = studio.startRun({
      kind: 'eval',
      modelId: m.id,
      deviceName: 'local',
      session: DEFAULT_SESSION_OPTIONS,
      dataset: 'fashion-mnist',
      batchSize: 50,
    })
    studio.runs.on('progress', (runId, p) => {
      if (runId === id && p.phase === 'accuracy' && p.done >= 500) studio.runs.cancel(id)
    })
    const run = await studio.runs.wait(id)
    expect(run.status).toBe('cancelled')
    const stored = studio.store.getPredictions(id)
    expect(stored.indices.length).toBeGreaterThanOrEqual(500)
    expect(stored.indices.length).toBeLessThan(10_000)
    const partial = run.result as EvalResult
    expect(partial.partialOf).toBe(10_000)
    expect(partial.count).toBe(stored.indices.length)
    expect(partial.top1).toBeGreaterThan(0.8)
  }, 120_000)

  it('a finished eval has every prediction stored and no partial mark', async () => {
    const m = await studio.importModel(model)
    const run = await studio.runAndWait({
      kind: 'eval',
      modelId: m.id,
      deviceName: 'local',
      session: DEFAULT_SESSION_OPTIONS,
      dataset: 'fashion-mnist',
      limit: 300,
    })
    expect(run.status).toBe('finished')
    expect(studio.store.getPredictions(run.id).indices).toEqual(Array.from({ length: 300 }, (_, i) => i))
    expect((run.result as EvalResult).partialOf).toBeUndefined()
  }, 120_000)
})
