/**
 * Per-sample predictions (migration 2): written as they arrive, read back in sample order, kept
 * when the run ends early, and a version-1 database from the field upgrades in place.
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MIGRATIONS, SCHEMA_VERSION } from '../../main/store/schema.js'
import { Store } from '../../main/store/store.js'
import { evalResult, tempDir } from './fixtures.js'

let dir: string
let cleanup: () => void
const open: Store[] = []

function openStore(): Store {
  const s = Store.open(join(dir, 'studio.db'))
  open.push(s)
  return s
}

function evalRun(store: Store): number {
  const model = store.upsertModel({ name: 'resnet8', path: '/m/resnet8.onnx', sha256: 'b'.repeat(64) })
  const device = store.upsertDevice({ name: 'board', kind: 'serial', config: { path: '/dev/ttyACM0' } })
  const id = store.createRun({ kind: 'eval', modelId: model.id, deviceId: device.id, spec: {} })
  store.startRun(id, null)
  return id
}

beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
})
afterEach(() => {
  for (const s of open.splice(0)) s.close()
  cleanup()
})

describe('predictions', () => {
  it('stores scores per sample as they arrive and reads them back in order, across reopening', () => {
    const store = openStore()
    const id = evalRun(store)
    store.appendPredictions(id, 0, Float32Array.from([0.1, 0.9, 0.5, 0.2]), 2)
    store.appendPredictions(id, 2, Float32Array.from([-1.5, 3.25]), 2)
    store.close()
    const again = openStore()
    const p = again.getPredictions(id)
    expect(p.indices).toEqual([0, 1, 2])
    expect(p.classes).toBe(2)
    expect(Array.from(p.scores)).toEqual([
      Math.fround(0.1),
      Math.fround(0.9),
      0.5,
      Math.fround(0.2),
      -1.5,
      3.25,
    ])
  })

  it('keeps predictions and a partial result when the run ends unsuccessfully; refuses more after', () => {
    const store = openStore()
    const id = evalRun(store)
    store.appendPredictions(id, 0, Float32Array.from([1, 0]), 2)
    store.endRun(id, 'interrupted', { code: 'DEVICE_UNREACHABLE', message: 'unplugged' }, {
      ...evalResult(),
      count: 1,
      partialOf: 1000,
    })
    expect(store.getPredictions(id).indices).toEqual([0])
    expect(store.getRun(id)?.result).toMatchObject({ count: 1, partialOf: 1000 })
    expect(() => store.appendPredictions(id, 1, Float32Array.from([1, 0]), 2)).toThrow(/already interrupted/)
  })

  it('refuses scores that are not whole rows', () => {
    const store = openStore()
    const id = evalRun(store)
    expect(() => store.appendPredictions(id, 0, Float32Array.from([1, 2, 3]), 2)).toThrow(/not rows of 2/)
  })

  it('deletes a run’s predictions with the run', () => {
    const store = openStore()
    const id = evalRun(store)
    store.appendPredictions(id, 0, Float32Array.from([1, 0]), 2)
    store.deleteRun(id)
    expect(store.getPredictions(id).indices).toEqual([])
  })

  it('upgrades a version-1 database in place, keeping its runs', () => {
    const path = join(dir, 'studio.db')
    const v1 = new Database(path)
    v1.exec(MIGRATIONS[0] as string)
    v1.pragma('application_id = 0x45424e43')
    v1.pragma('user_version = 1')
    v1.prepare("INSERT INTO models (name, path, sha256, created_at) VALUES ('m', '/m.onnx', ?, 'x')").run(
      'c'.repeat(64),
    )
    v1.close()
    const store = openStore()
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2)
    expect(store.listModels().map((m) => m.name)).toEqual(['m'])
    const id = evalRun(store)
    store.appendPredictions(id, 0, Float32Array.from([1]), 1)
    expect(store.getPredictions(id).indices).toEqual([0])
  })
})
