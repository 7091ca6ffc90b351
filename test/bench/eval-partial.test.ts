/**
 * An evaluation that stops early keeps its predictions and reports the accuracy of the samples it
 * got (the local device, real store): the per-sample predictions are written as batches arrive.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { DEFAULT_SESSION_OPTIONS, type EvalResult } from '../../common/types.js'
import { LocalDevice } from '../../devices/local/local-device.js'
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

  it('an eval whose device fails after every prediction was stored is finished, not interrupted', async () => {
    // The local device with a link that drops right after the last result (issue 14: such a run,
    // all 10,000 predictions stored, was recorded interrupted).
    const flaky = Studio.open({
      dbPath: join(dir, 'flaky.db'),
      deviceFactories: {
        local: (row) => {
          const real = new LocalDevice({ name: row.name })
          return Object.assign(Object.create(real) as LocalDevice, {
            evaluate: async (...args: Parameters<LocalDevice['evaluate']>) => {
              await real.evaluate(...args)
              throw new StudioError('DEVICE_UNREACHABLE', 'The link dropped after the last result.')
            },
            close: () => real.close(),
          })
        },
      },
    })
    try {
      const m = await flaky.importModel(model)
      const run = await flaky.runAndWait({ kind: 'eval', modelId: m.id, deviceName: 'local', session: DEFAULT_SESSION_OPTIONS, dataset: 'fashion-mnist', limit: 200 })
      expect(run.status, run.error?.message).toBe('finished')
      expect((run.result as EvalResult).count).toBe(200)
      expect((run.result as EvalResult).partialOf).toBeUndefined()
      expect(flaky.store.getPredictions(run.id).indices).toHaveLength(200)
    } finally {
      await flaky.close()
    }
  }, 120_000)
})
