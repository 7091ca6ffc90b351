/**
 * Compression through the shared API handlers on a real Studio (temp database, the zoo's resnet8,
 * real calibration on Fashion-MNIST): a derivation as a job with progress events, the variant
 * stored with its lineage, cancellation, and bad requests refused before anything runs.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiEventMessage, ApiEvents, JobFinished } from '../../common/api.js'
import { createHandlers, type ApiHandlers } from '../../main/api/handlers.js'
import { Studio } from '../../main/studio.js'
import { value, error } from './result.js'

const root = resolve(import.meta.dirname, '../..')
const RESNET8 = join(root, 'resources/models/resnet8.onnx')

let dir: string
let studio: Studio
let api: ApiHandlers
const events: ApiEventMessage[] = []

function progressOf(jobId: number): ApiEvents['job:progress'][] {
  return events.flatMap((e) => (e.event === 'job:progress' && e.payload.jobId === jobId ? [e.payload] : []))
}

/** Resolves with the job's 'job:finished' event (already received or still to come). */
function finished(jobId: number): Promise<JobFinished> {
  const seen = events.find((e) => e.event === 'job:finished' && e.payload.jobId === jobId)
  if (seen?.event === 'job:finished') return Promise.resolve(seen.payload)
  return new Promise((done) => {
    const off = api.subscribe((m) => {
      if (m.event === 'job:finished' && m.payload.jobId === jobId) {
        off()
        done(m.payload)
      }
    })
  })
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-compress-api-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  api = createHandlers(studio, { mode: 'browser' })
  api.subscribe((m) => events.push(m))
})

afterAll(async () => {
  api?.dispose()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('compression over the API', () => {
  it('refuses a bad recipe, an unknown model and an unknown device before queuing anything', async () => {
    const parent = value(await api.invoke('models:import', { path: RESNET8 }))
    const bad = error(await api.call('variants:derive', { modelId: parent.id, recipe: { method: 'prune-structured', ratio: 1.5 } }))
    expect(bad.code).toBe('BAD_INPUT')
    expect(bad.message).toContain('recipe.ratio')
    expect(bad.message).toContain('between 0 and 1')
    expect(error(await api.call('variants:derive', { modelId: parent.id, recipe: { method: 'int4' } })).code).toBe('BAD_INPUT')
    expect(error(await api.call('variants:derive', { modelId: parent.id, recipe: { method: 'fp16', ratio: 0.5 } })).code).toBe('BAD_INPUT')
    expect(error(await api.call('variants:derive', { modelId: 999, recipe: { method: 'fp16' } })).code).toBe('NOT_FOUND')
    const noDevice = error(await api.call('sweeps:start', { modelId: parent.id, devices: ['nowhere'] }))
    expect(noDevice.code).toBe('NOT_FOUND')
    expect(noDevice.message).toContain('nowhere')
    expect(error(await api.call('sweeps:start', { modelId: parent.id, devices: [] })).code).toBe('BAD_INPUT')
    expect(value(await api.invoke('jobs:cancel', { jobId: 12345 })).cancelled).toBe(false)
    expect(events.some((e) => e.event === 'job:progress' || e.event === 'job:finished')).toBe(false)
    expect(value(await api.invoke('models:variants', { modelId: parent.id }))).toEqual([])
  })

  it('derives an INT8 variant as a job: progress events, then the variant stored with its lineage', async () => {
    const parent = value(await api.invoke('models:import', { path: RESNET8 }))
    const { jobId } = value(
      await api.invoke('variants:derive', { modelId: parent.id, recipe: { method: 'int8-static', samples: 100 } }),
    )
    // A second job waits behind the first; cancelling it ends it at once, and it never runs.
    const queued = value(await api.invoke('variants:derive', { modelId: parent.id, recipe: { method: 'fp16' } }))
    expect(value(await api.invoke('jobs:cancel', { jobId: queued.jobId })).cancelled).toBe(true)
    const cancelled = await finished(queued.jobId)
    expect(cancelled.ok ? 'ok' : cancelled.error.code).toBe('CANCELLED')

    const end = await finished(jobId)
    if (!end.ok) throw new Error(`${end.error.code}: ${end.error.message}`)
    expect(end.kind).toBe('derive')
    if (end.kind !== 'derive') return

    const progress = progressOf(jobId)
    expect(progress.some((p) => p.progress.phase === 'calibrate')).toBe(true)
    for (const p of progress) expect(p.progress.fraction).toBeGreaterThanOrEqual(0)
    for (const p of progress) expect(p.progress.fraction).toBeLessThanOrEqual(1)
    const calibrated = progress.filter((p) => p.progress.phase === 'calibrate').map((p) => p.progress.done)
    expect(Math.max(...calibrated)).toBe(100)

    const { model, report } = end.value
    expect(model).toMatchObject({ parentId: parent.id, kind: 'int8', name: 'resnet8-int8-minmax' })
    expect(model.recipe?.method).toBe('int8-static')
    expect(model.recipe?.params).toMatchObject({ calibrator: 'minmax', perChannel: true, activationType: 'uint8', samples: 100 })
    expect(model.macs).toBeGreaterThan(0)
    expect(existsSync(model.path)).toBe(true)
    expect(report.fileBytes).toBeLessThan(report.parent.fileBytes * 0.5)
    expect(report.quantization?.calibration).toMatchObject({ dataset: 'fashion-mnist', samples: 100, calibrator: 'minmax' })
    expect(report.quantization?.quantizedNodes.length).toBeGreaterThan(0)
    expect(report.quantization?.agreement.top1).toBeGreaterThan(0.9)

    // The lineage as every list shows it; the cancelled fp16 job left no variant behind.
    const variants = value(await api.invoke('models:variants', { modelId: parent.id }))
    expect(variants.map((v) => [v.name, v.kind, v.recipe?.method])).toEqual([['resnet8-int8-minmax', 'int8', 'int8-static']])
    const listed = value(await api.invoke('models:list', undefined)).find((m) => m.id === model.id)
    expect(listed?.parentId).toBe(parent.id)
    expect(readdirSync(join(dir, 'variants'))).toEqual(['resnet8-int8-minmax.onnx'])
  })

  it('sweeps a small grid on this computer: a row per (model, device), variants stored, runs on Explore', async () => {
    const parent = value(await api.invoke('models:import', { path: RESNET8 }))
    const { jobId } = value(
      await api.invoke('sweeps:start', {
        modelId: parent.id,
        devices: ['local'],
        limit: 50,
        recipes: [{ method: 'prune-structured', ratio: 0.5 }],
        latency: { minRuns: 10, minMs: 50, warmupRuns: 2, warmupMs: 10, maxMs: 20_000 },
      }),
    )
    const end = await finished(jobId)
    if (!end.ok) throw new Error(`${end.error.code}: ${end.error.message}`)
    if (end.kind !== 'sweep') throw new Error('expected a sweep')
    const rows = end.value.rows
    expect(rows.map((r) => [r.label, r.device])).toEqual([
      ['fp32', 'local'],
      ['pruned-s50', 'local'],
    ])
    for (const r of rows) {
      expect(r.error).toBeNull()
      expect(r.p50Us).toBeGreaterThan(0)
      expect(r.top1).toBeGreaterThan(0)
    }
    expect(rows[0]?.speedup).toBe(1)
    expect(rows[1]?.macs).toBeLessThan((rows[0]?.macs ?? 0) * 0.5)
    expect(progressOf(jobId).length).toBeGreaterThan(0)
    const pruned = value(await api.invoke('models:variants', { modelId: parent.id })).find((v) => v.name === 'resnet8-pruned-s50')
    expect(pruned).toMatchObject({ kind: 'pruned', parentId: parent.id, recipe: { method: 'prune-structured' } })
    expect(pruned?.macs).toBe(rows[1]?.macs)
    const points = value(await api.invoke('explore:points', undefined))
    expect(points.filter((p) => p.modelId === parent.id || p.modelId === pruned?.id).map((p) => p.variant).sort()).toEqual(['fp32', 'pruned'])
    // Pruning points carry their lineage and recipe, recovery included (least squares by default
    // with the model's calibration split), so a chart can join a parent's pruning points.
    const recipe = { method: 'prune-structured', params: { ratio: 0.5, recover: 'ls', calibrationSplit: 'calibration' } }
    expect(rows[1]?.recipe).toMatchObject(recipe)
    expect(points.find((p) => p.modelId === pruned?.id)).toMatchObject({
      parentModelId: parent.id,
      method: 'prune-structured',
      recipe: expect.stringMatching(/recovery ls · on fashion-mnist calibration/),
    })
    expect(points.find((p) => p.modelId === parent.id)).toMatchObject({ parentModelId: null, method: null, recipe: null })
  })

  it('cancels a running derivation: CANCELLED, and no variant file or record', async () => {
    const parent = value(await api.invoke('models:import', { path: RESNET8 }))
    const { jobId } = value(
      await api.invoke('variants:derive', {
        modelId: parent.id,
        recipe: { method: 'int8-static', calibrator: 'entropy', samples: 2000 },
      }),
    )
    await new Promise<void>((done) => {
      const off = api.subscribe((m) => {
        if (m.event === 'job:progress' && m.payload.jobId === jobId && m.payload.progress.phase === 'calibrate') {
          off()
          done()
        }
      })
    })
    expect(value(await api.invoke('jobs:cancel', { jobId })).cancelled).toBe(true)
    const end = await finished(jobId)
    expect(end.ok ? 'ok' : end.error.code).toBe('CANCELLED')
    expect(readdirSync(join(dir, 'variants')).some((f) => f.includes('entropy'))).toBe(false)
    const variants = value(await api.invoke('models:variants', { modelId: parent.id }))
    expect(variants.some((v) => v.name.includes('entropy'))).toBe(false)
  })
})
