import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { SCHEMA_VERSION } from '../../main/store/schema.js'
import { INTERRUPTED_MESSAGE, Store } from '../../main/store/store.js'
import { benchResult, deviceInfo, evalResult, tempDir } from './fixtures.js'

let dir: string
let cleanup: () => void
const open: Store[] = []

function openStore(name = 'studio.db'): Store {
  let tick = 0
  // A clock that moves one second per call, so ordering by time is visible and deterministic.
  const store = Store.open(join(dir, name), { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)) })
  open.push(store)
  return store
}

function seed(store: Store): { modelId: number; deviceId: number } {
  const model = store.upsertModel({ name: 'resnet8', path: '/m/resnet8.onnx', sha256: 'a'.repeat(64) })
  const device = store.upsertDevice({ name: 'this-computer', kind: 'local' })
  return { modelId: model.id, deviceId: device.id }
}

beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
})

afterEach(() => {
  for (const s of open.splice(0)) s.close()
  cleanup()
})

describe('opening', () => {
  it('creates the schema, sets user_version and WAL, and reopens without change', () => {
    const store = openStore()
    expect(store.journalMode()).toBe('wal')
    seed(store)
    store.close()

    const raw = new Database(join(dir, 'studio.db'), { readonly: true })
    const tables = raw
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
      .pluck()
      .all()
    expect(tables).toEqual(['devices', 'early_exit_sweeps', 'metrics', 'models', 'predictions', 'runs', 'samples'])
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    raw.close()

    const again = openStore()
    expect(again.recoveredRuns).toBe(0)
    expect(again.listModels().map((m) => m.name)).toEqual(['resnet8'])
    expect(again.listDevices().map((d) => d.name)).toEqual(['this-computer'])
  })

  it('creates missing parent folders', () => {
    const store = openStore('nested/deeper/studio.db')
    expect(store.path).toBe(join(dir, 'nested/deeper/studio.db'))
    expect(store.listModels()).toEqual([])
  })
})

describe('models and variants', () => {
  it('keeps one row per file content (sha256) and updates its fields', () => {
    const store = openStore()
    const first = store.upsertModel({
      name: 'resnet8',
      path: '/a.onnx',
      sha256: 'f'.repeat(64),
      family: 'resnet',
    })
    const second = store.upsertModel({ name: 'resnet8-copy', path: '/b.onnx', sha256: 'f'.repeat(64) })
    expect(second.id).toBe(first.id)
    expect(second.name).toBe('resnet8-copy')
    expect(second.path).toBe('/b.onnx')
    expect(second.family).toBe('resnet')
    expect(store.listModels()).toHaveLength(1)
    expect(store.getModelBySha('f'.repeat(64))?.id).toBe(first.id)
    expect(store.getModel(9999)).toBeNull()
  })

  it('records variants under their parent with the recipe that made them', () => {
    const store = openStore()
    const parent = store.upsertModel({ name: 'mobilenet', path: '/p.onnx', sha256: '1'.repeat(64) })
    const int8 = store.upsertModel({
      name: 'mobilenet-int8',
      path: '/q.onnx',
      sha256: '2'.repeat(64),
      kind: 'int8',
      parentId: parent.id,
      recipe: { method: 'static-qdq', params: { activations: 'uint8', perChannel: true } },
    })
    store.upsertModel({
      name: 'mobilenet-fp16',
      path: '/h.onnx',
      sha256: '3'.repeat(64),
      kind: 'fp16',
      parentId: parent.id,
      recipe: { method: 'fp16', params: {} },
    })
    const children = store.variantsOf(parent.id)
    expect(children.map((c) => [c.name, c.kind])).toEqual([
      ['mobilenet-int8', 'int8'],
      ['mobilenet-fp16', 'fp16'],
    ])
    expect(store.getModel(int8.id)?.recipe).toEqual({
      method: 'static-qdq',
      params: { activations: 'uint8', perChannel: true },
    })
    expect(store.variantsOf(int8.id)).toEqual([])
    expect(store.getModel(parent.id)?.parentId).toBeNull()
  })

  it('refuses a variant whose parent does not exist', () => {
    const store = openStore()
    const add = (): unknown =>
      store.upsertModel({ name: 'orphan-int8', path: '/o.onnx', sha256: '9'.repeat(64), parentId: 42 })
    expect(add).toThrow(/parent model 42 of orphan-int8 does not exist/)
    expect(store.listModels()).toEqual([])
  })

  it('caches an inspection on the model', () => {
    const store = openStore()
    const { modelId } = seed(store)
    const inspect = {
      params: 78_000,
      macs: 12_000_000,
      weightsBytes: 312_000,
      paramsByDtype: {},
      fileBytes: 320_000,
      gzipBytes: 290_000,
      sha256: 'a'.repeat(64),
      peakActivationBytes: 50_000,
      opset: 17,
      inputs: [],
      outputs: [],
      opCounts: { Conv: 7 },
      layers: [],
      shapeSource: 'static' as const,
    }
    store.setModelInspect(modelId, inspect)
    expect(store.getModel(modelId)?.inspect).toEqual(inspect)
  })
})

describe('devices', () => {
  it('upserts by name and keeps the last probe when only the config changes', () => {
    const store = openStore()
    store.upsertDevice({ name: 'pi5', kind: 'ssh', config: { host: '10.0.0.5' }, info: deviceInfo('pi5') })
    const updated = store.upsertDevice({ name: 'pi5', kind: 'ssh', config: { host: '10.0.0.6' } })
    expect(updated.config).toEqual({ host: '10.0.0.6' })
    expect(updated.info?.name).toBe('pi5')
    expect(store.listDevices()).toHaveLength(1)
    expect(store.removeDevice('pi5')).toBe(true)
    expect(store.getDevice('pi5')).toBeNull()
    expect(store.removeDevice('pi5')).toBe(false)
  })
})

describe('runs', () => {
  it('goes queued → running → finished, with samples, result and metrics', () => {
    const store = openStore()
    const { modelId, deviceId } = seed(store)
    const id = store.createRun({ kind: 'bench', modelId, deviceId, spec: { threads: 1 } })
    expect(store.getRun(id)?.status).toBe('queued')

    store.startRun(id, deviceInfo())
    const running = store.getRun(id)
    expect(running?.status).toBe('running')
    expect(running?.env?.cpuModel).toBe('AMD EPYC')
    expect(running?.startedAt).not.toBeNull()

    expect(store.appendSamples(id, [180, 181, 182])).toBe(3)
    expect(store.appendSamples(id, [])).toBe(3)
    expect(store.appendSamples(id, [190.5, 175.25])).toBe(5)
    expect(Array.from(store.getSamples(id))).toEqual([180, 181, 182, 190.5, 175.25])

    store.finishRun(id, benchResult())
    const done = store.getRun(id)
    expect(done).toMatchObject({
      status: 'finished',
      modelName: 'resnet8',
      deviceName: 'this-computer',
      spec: { threads: 1 },
      error: null,
    })
    expect(done?.finishedAt).not.toBeNull()
    expect(done?.result && 'latencyUs' in done.result ? done.result.latencyUs.p50 : null).toBe(182)
    const metrics = store.getMetrics(id)
    expect(metrics['latency.p50']).toBe(182)
    expect(metrics['latency.p90']).toBe(190)
    expect(metrics['latency.ci95lo']).toBe(180)
    expect(metrics['memory.peakRssBytes']).toBe(3_000_000)
    expect(metrics).not.toHaveProperty('memory.sessionRssBytes')
  })

  it('refuses to change a run that has already ended', () => {
    const store = openStore()
    const { modelId, deviceId } = seed(store)
    const id = store.createRun({ kind: 'bench', modelId, deviceId, spec: {} })
    store.startRun(id, null)
    store.finishRun(id, benchResult())
    const attempt = (): void => store.endRun(id, 'cancelled', 'too late')
    expect(attempt).toThrow(StudioError)
    expect(attempt).toThrow(/already finished/)
    expect(() => store.appendSamples(id, [1])).toThrow(/already finished/)
    expect(store.getRun(id)?.status).toBe('finished')
  })

  it('keeps a partial result and its metrics when a run is cancelled', () => {
    const store = openStore()
    const { modelId, deviceId } = seed(store)
    const id = store.createRun({ kind: 'eval', modelId, deviceId, spec: {} })
    store.startRun(id, deviceInfo())
    store.endRun(id, 'cancelled', 'Cancelled by the user.', evalResult())
    const run = store.getRun(id)
    expect(run).toMatchObject({ status: 'cancelled', error: 'Cancelled by the user.' })
    expect(store.getMetrics(id)).toMatchObject({ 'accuracy.top1': 0.91, 'accuracy.count': 10000 })
  })

  it('lists newest first and filters by status, model and device', () => {
    const store = openStore()
    const { modelId, deviceId } = seed(store)
    const pi = store.upsertDevice({ name: 'pi5', kind: 'ssh' })
    const a = store.createRun({ kind: 'bench', modelId, deviceId, spec: {} })
    const b = store.createRun({ kind: 'bench', modelId, deviceId: pi.id, spec: {} })
    const c = store.createRun({ kind: 'eval', modelId, deviceId, spec: {} })
    store.startRun(b, null)
    store.endRun(b, 'failed', 'DEVICE_ERROR: board reset')

    expect(store.listRuns().map((r) => r.id)).toEqual([c, b, a])
    expect(store.listRuns({ limit: 2 }).map((r) => r.id)).toEqual([c, b])
    expect(store.listRuns({ status: 'failed' }).map((r) => r.id)).toEqual([b])
    expect(store.listRuns({ deviceName: 'this-computer' }).map((r) => r.id)).toEqual([c, a])
    expect(store.listRuns({ modelId: modelId + 1 })).toEqual([])

    // Removing a device keeps its runs, still labelled with its name.
    store.removeDevice('pi5')
    expect(store.getRun(b)?.deviceName).toBe('pi5')
  })

  it('deletes a run with its samples and metrics', () => {
    const store = openStore()
    const { modelId, deviceId } = seed(store)
    const id = store.createRun({ kind: 'bench', modelId, deviceId, spec: {} })
    store.startRun(id, null)
    store.appendSamples(id, [1, 2, 3])
    store.setMetrics(id, { 'latency.p50': 2 })
    expect(store.deleteRun(id)).toBe(true)
    expect(store.getRun(id)).toBeNull()
    expect(store.getSamples(id).length).toBe(0)
    expect(store.getMetrics(id)).toEqual({})
    expect(store.deleteRun(id)).toBe(false)
  })

  it('rejects samples that are not finite numbers, storing none of the chunk', () => {
    const store = openStore()
    const { modelId, deviceId } = seed(store)
    const id = store.createRun({ kind: 'bench', modelId, deviceId, spec: {} })
    store.startRun(id, null)
    expect(() => store.appendSamples(id, [1, Number.NaN, 3])).toThrow(/not a finite number/)
    expect(store.getSamples(id).length).toBe(0)
  })
})

describe('recovery on open', () => {
  it('marks runs of a dead process interrupted and leaves a live process’s runs alone', () => {
    const first = openStore()
    const { modelId, deviceId } = seed(first)
    const live = first.createRun({ kind: 'bench', modelId, deviceId, spec: {} })
    first.startRun(live, null)
    const orphan = first.createRun({ kind: 'bench', modelId, deviceId, spec: {} })
    first.startRun(orphan, null)
    first.appendSamples(orphan, [5, 6])
    // Pretend `orphan` belonged to a process that no longer exists.
    const raw = new Database(join(dir, 'studio.db'))
    raw.prepare(`UPDATE runs SET owner = 'gone-host:999999999' WHERE id = ?`).run(orphan)
    raw.close()

    const second = openStore()
    expect(second.recoveredRuns).toBe(1)
    expect(second.getRun(live)?.status).toBe('running')
    const recovered = second.getRun(orphan)
    expect(recovered).toMatchObject({ status: 'interrupted', error: INTERRUPTED_MESSAGE })
    expect(Array.from(second.getSamples(orphan))).toEqual([5, 6])
  })
})

describe('damaged data', () => {
  it('reports a corrupt JSON cell as a STORE_ERROR naming the run', () => {
    const store = openStore()
    const { modelId, deviceId } = seed(store)
    const id = store.createRun({ kind: 'bench', modelId, deviceId, spec: {} })
    const raw = new Database(join(dir, 'studio.db'))
    raw.prepare(`UPDATE runs SET spec = '{"threads": 1' WHERE id = ?`).run(id)
    raw.close()
    const read = (): unknown => store.getRun(id)
    expect(read).toThrow(StudioError)
    expect(read).toThrow(new RegExp(`run ${id} has a damaged spec column`))
    try {
      read()
    } catch (e) {
      expect((e as StudioError).code).toBe('STORE_ERROR')
    }
  })
})
