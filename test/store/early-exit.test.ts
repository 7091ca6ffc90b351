/** Stored early-exit sweeps: result and per-configuration samples round-trip; the migration keeps old data. */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EarlyExitResult } from '../../common/early-exit.js'
import { DEFAULT_LATENCY_SPEC, DEFAULT_SESSION_OPTIONS } from '../../common/types.js'
import { MIGRATIONS, SCHEMA_VERSION } from '../../main/store/schema.js'
import { Store } from '../../main/store/store.js'
import { deviceInfo, tempDir } from './fixtures.js'

let dir: string
let cleanup: () => void
const open: Store[] = []

beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
})
afterEach(() => {
  for (const s of open.splice(0)) s.close()
  cleanup()
})

function sweep(modelId: number, counts: [number, number, number]): EarlyExitResult {
  const point = (threshold: number, timedCount: number) => ({
    threshold,
    top1: 0.9,
    exitRate: 0.5,
    exitRates: { exit1: 0.5 },
    avgMacs: 5e6,
    top5: 1,
    perClass: [],
    confusion: [],
    latencyUs: { mean: 100, p50: 90, p90: 150 },
    timedCount,
    timedExitRate: 0.5,
  })
  return {
    modelId,
    model: 'resnet8-ee',
    device: 'local',
    dataset: 'fashion-mnist',
    split: 'test',
    count: 100,
    rule: 'maxprob',
    final: 'logits',
    exits: [{ name: 'exit1', macs: 3e6, top1: 0.85 }],
    fullMacs: 9e6,
    fullTop1: 0.92,
    full: { latencyUs: { mean: 180, p50: 175, p90: 190 }, timedCount: counts[0] },
    points: [point(0.5, counts[1]), point(1, counts[2])],
    verify: { samples: 100, maxAbsDiff: { exit1: 0, logits: 0 } },
    syncRuns: true,
    operatingPoint: null,
    env: deviceInfo(),
    session: DEFAULT_SESSION_OPTIONS,
    latency: DEFAULT_LATENCY_SPEC,
    preprocessing: {
      layout: 'NCHW',
      channels: 1,
      height: 28,
      width: 28,
      scale: 1 / 255,
      mean: [0],
      std: [1],
    },
    createdAt: '2026-01-01T00:00:00.000Z',
  }
}

describe('early-exit sweeps in the store', () => {
  it('round-trips the result and each configuration’s samples, newest first per model', () => {
    const store = Store.open(join(dir, 'studio.db'))
    open.push(store)
    const m = store.upsertModel({ name: 'resnet8-ee', path: '/m.onnx', sha256: 'b'.repeat(64) })
    const samples = [[180, 181.5], [90, 91, 300], [175.25]]
    const a = store.saveEarlyExit(sweep(m.id, [2, 3, 1]), samples)
    const b = store.saveEarlyExit(sweep(m.id, [1, 1, 1]), [[1], [2], [3]])
    const got = store.getEarlyExit(a)
    expect(got?.result).toEqual({ ...sweep(m.id, [2, 3, 1]), id: a })
    expect(got?.samplesUs.map((s) => Array.from(s))).toEqual(samples)
    expect(store.listEarlyExits(m.id).map((s) => s.id)).toEqual([b, a])
    expect(store.getEarlyExit(999)).toBeNull()
    expect(() => store.saveEarlyExit(sweep(m.id, [2, 3, 1]), [[1], [2], [3]])).toThrow(/do not match/)
  })

  it('the appended migration adds the table to a database made before it, keeping its data', () => {
    const path = join(dir, 'old.db')
    const raw = new Database(path)
    for (const sql of MIGRATIONS.slice(0, SCHEMA_VERSION - 1)) raw.exec(sql)
    raw.pragma('application_id = 0x45424e43')
    raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`)
    raw
      .prepare(`INSERT INTO models (name, path, sha256, created_at) VALUES ('m', '/m.onnx', ?, '2026-01-01')`)
      .run('c'.repeat(64))
    raw.close()
    const store = Store.open(path)
    open.push(store)
    expect(store.listModels().map((m) => m.name)).toEqual(['m'])
    expect(store.listEarlyExits()).toEqual([])
  })
})
