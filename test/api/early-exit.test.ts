/**
 * Early exit through the shared API handlers on a real Studio (temp database, the zoo's models):
 * the plan (null for a model without exits), a sweep as a job with progress, the stored sweep,
 * Add to Explore, and bad requests refused before anything is queued.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiEventMessage, JobFinished } from '../../common/api.js'
import { createHandlers, type ApiHandlers } from '../../main/api/handlers.js'
import { Studio } from '../../main/studio.js'
import { value, error } from './result.js'

const root = resolve(import.meta.dirname, '../..')
const quick = { warmupRuns: 2, warmupMs: 10, minRuns: 20, minMs: 10 }

let dir: string
let studio: Studio
let api: ApiHandlers
const events: ApiEventMessage[] = []

function finished(jobId: number): Promise<JobFinished> {
  return new Promise((done) => {
    const seen = events.find((e) => e.event === 'job:finished' && e.payload.jobId === jobId)
    if (seen?.event === 'job:finished') return done(seen.payload)
    const off = api.subscribe((m) => {
      if (m.event === 'job:finished' && m.payload.jobId === jobId) {
        off()
        done(m.payload)
      }
    })
  })
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-ee-api-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  api = createHandlers(studio, { mode: 'browser' })
  api.subscribe((m) => events.push(m))
})

afterAll(async () => {
  api?.dispose()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('early exit over the API', { timeout: 300_000 }, () => {
  it('plans exits: resnet8-ee has exit1, resnet8 has none (null, not an error)', async () => {
    const ee = await studio.importModel(join(root, 'resources/models/resnet8-ee.onnx'))
    const plain = await studio.importModel(join(root, 'resources/models/resnet8.onnx'))
    expect(value(await api.invoke('earlyExit:plan', { modelId: ee.id }))).toEqual({
      final: 'logits',
      exits: [{ name: 'exit1', macs: 3854464 }],
      fullMacs: 9474816,
      classes: 10,
    })
    expect(value(await api.invoke('earlyExit:plan', { modelId: plain.id }))).toBeNull()
    expect(error(await api.call('earlyExit:plan', { modelId: 9999 })).code).toBe('NOT_FOUND')
  })

  it('refuses bad requests at once: thresholds outside [0, 1], an unknown exit, device or field', async () => {
    const ee = studio.store.listModels().find((m) => m.name === 'resnet8-ee')
    const modelId = ee?.id as number
    const cases: [unknown, RegExp][] = [
      [{ modelId, device: 'local', thresholds: [0.5, 1.5] }, /thresholds.*fractions in \[0, 1\]/],
      [{ modelId, device: 'local', exits: ['exit9'] }, /no output named 'exit9'/],
      [{ modelId, device: 'pi9' }, /No device named 'pi9'/],
      [{ modelId, device: 'local', rule: 'margin' }, /rule/],
      [{ modelId, device: 'local', threshold: 0.5 }, /Invalid request/],
    ]
    for (const [payload, pattern] of cases)
      expect(error(await api.call('earlyExit:start', payload)).message).toMatch(pattern)
    expect(events.filter((e) => e.event === 'job:progress')).toEqual([])
  })

  it('measures a sweep as a job, stores it, and adds a threshold to Explore', async () => {
    const modelId = studio.store.listModels().find((m) => m.name === 'resnet8-ee')?.id as number
    const { jobId } = value(
      await api.invoke('earlyExit:start', {
        modelId,
        device: 'local',
        limit: 100,
        thresholds: [0.5, 1],
        latency: quick,
      }),
    )
    const end = await finished(jobId)
    if (!end.ok || end.kind !== 'early-exit') throw new Error(`job ended ${JSON.stringify(end)}`)
    expect(end.value.points.map((p) => p.threshold)).toEqual([0.5, 1])
    const progress = events.filter((e) => e.event === 'job:progress' && e.payload.jobId === jobId)
    expect(progress.length).toBeGreaterThan(0)
    const listed = value(await api.invoke('earlyExit:list', { modelId }))
    expect(listed[0]?.id).toBe(end.value.id)
    const added = value(
      await api.invoke('earlyExit:addToExplore', { sweepId: end.value.id as number, thresholds: [0.5] }),
    )
    expect(added.map((m) => [m.name, m.kind, m.parentId, m.macs])).toEqual([
      ['resnet8-ee @ t=0.5', 'early-exit', modelId, Math.round(end.value.points[0]?.avgMacs as number)],
    ])
    const points = value(await api.invoke('explore:points', undefined))
    expect(points.find((p) => p.modelId === added[0]?.id)).toMatchObject({
      variant: 'early-exit',
      top1: end.value.points[0]?.top1,
    })
    expect(
      error(await api.call('earlyExit:addToExplore', { sweepId: end.value.id as number, thresholds: [0.7] }))
        .message,
    ).toMatch(/Threshold 0\.7 is not in sweep/)
  })
})
