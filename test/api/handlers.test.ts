/**
 * The shared handlers on a real Studio (temp database, real ONNX model, real local device): what
 * the Models, Benchmarks, Explore, Compare and Reports views get from each channel.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiEventMessage, ApiResult } from '../../common/api.js'
import { createHandlers, type ApiHandlers } from '../../main/api/handlers.js'
import { safeModelFileName } from '../../main/api/import-bytes.js'
import { Studio } from '../../main/studio.js'
import { value } from './result.js'

const root = resolve(import.meta.dirname, '../..')
const TINY = join(root, 'test/fixtures/local/tiny-cnn.onnx')
const QUICK = { minRuns: 20, minMs: 50, warmupRuns: 2, warmupMs: 10, maxMs: 20_000 }

let dir: string
let importDir: string
let studio: Studio
let api: ApiHandlers

function code(r: ApiResult<unknown>): string {
  return r.ok ? 'ok' : r.error.code
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-handlers-'))
  importDir = join(dir, 'imported')
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  api = createHandlers(studio, { mode: 'browser', importDir })
})

afterAll(async () => {
  api?.dispose()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('api handlers', () => {
  it('app:info, devices:list and datasets:list describe the studio', async () => {
    const info = value(await api.invoke('app:info', undefined))
    expect(info).toMatchObject({ name: 'EdgeBench Studio', mode: 'browser', dbPath: join(dir, 'studio.db') })
    const devices = value(await api.invoke('devices:list', undefined))
    expect(devices.find((d) => d.name === 'local')?.status.state).toBe('online')
    const datasets = value(await api.invoke('datasets:list', undefined))
    expect(datasets.map((d) => d.name)).toContain('fashion-mnist')
  })

  it('models:importBytes keeps a dropped model under its hash and inspects it; junk is refused', async () => {
    const dataBase64 = readFileSync(TINY).toString('base64')
    const model = value(await api.invoke('models:importBytes', { fileName: 'C:\\Users\\me\\tiny cnn.onnx', dataBase64 }))
    expect(model.name).toBe('tiny_cnn')
    expect(model.path.startsWith(importDir)).toBe(true)
    expect(existsSync(model.path)).toBe(true)
    expect(model.params).toBeGreaterThan(0)
    expect(model.macs).toBeGreaterThan(0)
    // The same bytes again: the same record.
    const again = value(await api.invoke('models:importBytes', { fileName: 'other.onnx', dataBase64 }))
    expect(again.id).toBe(model.id)
    const junk = await api.call('models:importBytes', { fileName: 'x.onnx', dataBase64: Buffer.from('not a model').toString('base64') })
    expect(code(junk)).toBe('MODEL_INVALID')
    expect(readdirSync(importDir)).toHaveLength(1)
    expect(safeModelFileName('../../etc/passwd')).toBe('passwd.onnx')
  })

  it('refuses bad requests with a code: unknown channel, bad payload, unknown model, desktop-only', async () => {
    expect(code(await api.call('no:such', {}))).toBe('NOT_FOUND')
    expect(code(await api.call('runs:start', { kind: 'bench', modelId: 1 }))).toBe('BAD_INPUT')
    expect(code(await api.call('runs:start', { kind: 'bench', modelId: 999, deviceName: 'local' }))).toBe('NOT_FOUND')
    expect(code(await api.call('runs:start', { kind: 'bench', modelId: 1, deviceName: 'nowhere' }))).toBe('NOT_FOUND')
    expect(code(await api.call('models:openDialog', undefined))).toBe('BAD_INPUT')
    expect(code(await api.call('runs:compare', { runIds: [1] }))).toBe('BAD_INPUT')
  })

  it('two bench runs and an eval become explore points, a comparison and reports', async () => {
    const model = value(await api.invoke('models:import', { path: TINY }))
    const events: ApiEventMessage[] = []
    const unsubscribe = api.subscribe((m) => events.push(m))
    const ids: number[] = []
    const done = new Promise<void>((ok) => {
      const seen = new Set<number>()
      api.subscribe((m) => {
        if (m.event === 'run:finished') seen.add(m.payload.run.id)
        if (ids.length === 3 && ids.every((id) => seen.has(id))) ok()
      })
    })
    for (let i = 0; i < 2; i++) {
      const started = value(await api.invoke('runs:start', { kind: 'bench', modelId: model.id, deviceName: 'local', latency: QUICK }))
      // The answer carries the list entry, so a UI upserts instead of reloading the list.
      expect(started.run).toMatchObject({ id: started.runId, kind: 'bench', modelName: 'tiny_cnn', p50Us: null })
      ids.push(started.runId)
    }
    ids.push(value(await api.invoke('runs:start', { kind: 'eval', modelId: model.id, deviceName: 'local', limit: 64 })).runId)
    await done
    unsubscribe()
    const [b1, b2, e1] = ids as [number, number, number]

    const list = value(await api.invoke('runs:list', { limit: 10 }))
    expect(list.map((r) => r.status)).toEqual(['finished', 'finished', 'finished'])
    expect(list.find((r) => r.id === b2)?.p50Us).toBeGreaterThan(0)
    expect(list.find((r) => r.id === e1)?.top1).toBeGreaterThanOrEqual(0)
    expect(list[0]).not.toHaveProperty('result')

    const points = value(await api.invoke('explore:points', undefined))
    expect(points).toHaveLength(1)
    expect(points[0]).toMatchObject({ model: 'tiny_cnn', device: 'local', benchRunId: b2, evalRunId: e1, dataset: 'fashion-mnist', count: 64 })
    expect(points[0]?.fileBytes).toBeGreaterThan(0)

    // Runs of one model on one device are one entry: nothing to compare yet (test/api/compare-runs.test.ts compares two).
    expect(code(await api.call('runs:compare', { runIds: [b1, b2, e1] }))).toBe('BAD_INPUT')

    const csv = value(await api.invoke('reports:export', { runIds: [b2, e1], format: 'csv' }))
    expect(csv.fileName).toMatch(/^edgebench-report-.*\.csv$/)
    expect(csv.content).toContain('tiny_cnn')
    const html = value(await api.invoke('reports:export', { runIds: [b2, e1], format: 'html' }))
    expect(html.content.toLowerCase()).toContain('<!doctype html>')
    expect(html.mimeType).toMatch(/^text\/html/)

    expect(events.some((e) => e.event === 'run:progress')).toBe(true)
    const pushed = events.flatMap((e) => (e.event === 'run:samples' && e.payload.runId === b1 ? e.payload.samples : []))
    expect(pushed).toEqual(value(await api.invoke('runs:samples', { runId: b1 })))
    // One (model, device) pair asked for alone: what the UI refetches after a run instead of every point.
    const one = value(await api.invoke('explore:points', { modelId: model.id, deviceName: 'local' }))
    expect(one).toEqual(points)
    expect(value(await api.invoke('explore:points', { modelId: model.id, deviceName: 'elsewhere' }))).toEqual([])
    expect(events.filter((e) => e.event === 'device:status').map((e) => e.payload.status.state)).toContain('busy')
    expect(value(await api.invoke('runs:samples', { runId: b1 })).length).toBeGreaterThanOrEqual(20)
    expect(value(await api.invoke('runs:cancel', { runId: b1 })).cancelled).toBe(false)
  })
})
