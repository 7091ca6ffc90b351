/**
 * Preprocessing through the shared API handlers on a real Studio (temp database, real ONNX Runtime):
 * an import with a card and a preset, a refused import that leaves nothing behind (no row, no file),
 * the editor's change inherited by a variant, and Auto-detect as a job.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobFinished } from '../../common/api.js'
import { createHandlers, type ApiHandlers } from '../../main/api/handlers.js'
import { Studio } from '../../main/studio.js'
import { value } from './result.js'

const root = resolve(import.meta.dirname, '../..')
const bytesOf = (path: string): string => readFileSync(path).toString('base64')
const SHUFFLENET = join(root, 'resources/models/shufflenetv2.onnx')
const KERAS = join(root, 'test/fixtures/exporters/keras-nhwc-rgb.onnx')

let dir = ''
let importDir = ''
let studio: Studio
let api: ApiHandlers

function finished(jobId: number): Promise<JobFinished> {
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
  dir = mkdtempSync(join(tmpdir(), 'edgebench-pp-api-'))
  importDir = join(dir, 'imported')
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  api = createHandlers(studio, { mode: 'browser', importDir })
})
afterAll(async () => {
  api?.dispose()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('preprocessing over the API', () => {
  it('imports a dropped model with its sidecar card: the card’s values, source and dataset', async () => {
    const cardJson = readFileSync(join(root, 'resources/models/shufflenetv2.json'), 'utf8')
    const m = value(await api.invoke('models:importBytes', { fileName: 'mine.onnx', dataBase64: bytesOf(SHUFFLENET), cardJson }))
    expect(m.preprocessing).toMatchObject({ source: 'card', dataset: 'fashion-mnist', settings: { mean: [0.286], std: [0.353] } })
    expect(m.params).toBe(123_762)
  })

  it('refuses an import whose preset values do not fit the model, leaving no row and no file', async () => {
    const before = value(await api.invoke('models:list', undefined)).length
    const r = await api.invoke('models:importBytes', {
      fileName: 'keras.onnx',
      dataBase64: bytesOf(KERAS),
      preprocessing: { settings: { mean: [0.5, 0.5] } },
    })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('mean has 2 values') })
    expect(value(await api.invoke('models:list', undefined))).toHaveLength(before)
    expect(readdirSync(importDir).filter((d) => existsSync(join(importDir, d, 'keras.onnx')))).toEqual([])
    const unknown = await api.invoke('models:importBytes', { fileName: 'keras.onnx', dataBase64: bytesOf(KERAS), preprocessing: { preset: 'caffe' } })
    expect(!unknown.ok && unknown.error.message).toContain("Unknown preset 'caffe'")
  })

  it("stores the editor's change and a variant inherits it", async () => {
    const m = value(await api.invoke('models:importBytes', { fileName: 'keras.onnx', dataBase64: bytesOf(KERAS), preprocessing: { preset: 'symmetric' } }))
    expect(m.preprocessing?.source).toBe('user')
    const { model: variant } = await studio.deriveVariant(m.id, { method: 'fp16' })
    const changed = value(await api.invoke('models:setPreprocessing', { modelId: m.id, request: { preset: 'imagenet', replace: true, dataset: 'fashion-mnist' } }))
    expect(changed.preprocessing?.spec?.mean).toEqual([0.485, 0.456, 0.406])
    const v = value(await api.invoke('models:list', undefined)).find((x) => x.id === variant.id)
    expect(v?.preprocessing).toMatchObject({ inheritedFrom: 'keras', spec: { mean: [0.485, 0.456, 0.406] } })
    expect(v?.macs).toBeGreaterThan(0)
    const bad = await api.invoke('models:setPreprocessing', { modelId: m.id, request: { settings: { layout: 'NCHW' } } })
    expect(!bad.ok && bad.error.message).toContain('Layout NCHW does not fit')
    expect(studio.store.getModel(m.id)?.preprocess?.settings.layout).toBeUndefined()
  }, 120_000)

  it('Auto-detect runs as a job and proposes [-1, 1] NHWC for the Keras-style model, as a guess', async () => {
    const m = value(await api.invoke('models:list', undefined)).find((x) => x.name === 'keras')
    const { jobId } = value(await api.invoke('models:detectPreprocessing', { modelId: m?.id ?? 0 }))
    const end = await finished(jobId)
    if (!end.ok || end.kind !== 'detect') throw new Error(`detect failed: ${JSON.stringify(end)}`)
    expect(end.value.guess).toBe(true)
    expect(end.value.samples).toBe(200)
    expect(end.value.best.preset).toBe('symmetric')
    expect(end.value.best.spec.layout).toBe('NHWC')
    // A guess stores nothing by itself.
    expect(studio.store.getModel(m?.id ?? 0)?.preprocess?.source).toBe('user')
  }, 180_000)
})
