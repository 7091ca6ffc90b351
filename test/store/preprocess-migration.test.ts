/**
 * The migration that makes preprocessing, labels and the dataset per-model columns, on a database
 * written by the build before it (real SQLite file): card models get their card's values, derived
 * variants inherit instead of keeping a copy, damaged cards are left alone, and models that never
 * had figures get them once (Explore's size and MACs axes must not drop them).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { explorePoints } from '../../main/api/views.js'
import { feedOf } from '../../main/model-feed.js'
import { MIGRATIONS } from '../../main/store/schema.js'
import { Studio } from '../../main/studio.js'

const ZOO = resolve(import.meta.dirname, '../../resources/models')
let dir = ''

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-ppmig-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** A database as the previous build left it: its migrations only, and its rows. */
function previousBuild(path: string): void {
  const db = new Database(path)
  // Every migration before the one under test: what older builds ran (others may follow it).
  const mine = MIGRATIONS.findIndex((sql) => sql.includes('ADD COLUMN preprocess'))
  expect(mine).toBeGreaterThan(0)
  for (const sql of MIGRATIONS.slice(0, mine)) db.exec(sql)
  db.pragma('application_id = 0x45424e43')
  db.pragma(`user_version = ${mine}`)
  const card = {
    name: 'resnet8',
    dataset: 'fashion-mnist',
    split: 'test',
    preprocessing: { layout: 'NCHW', channels: 1, height: 28, width: 28, scale: 1 / 255, mean: [0.286], std: [0.353] },
  }
  const insert = db.prepare(
    'INSERT INTO models (name, path, sha256, kind, parent_id, card, inspect, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)',
  )
  const model = join(dir, 'resnet8.onnx')
  copyFileSync(join(ZOO, 'resnet8.onnx'), model)
  insert.run('resnet8', model, 'a'.repeat(64), 'fp32', null, JSON.stringify(card), 'x')
  // A variant from before: it carried an inherited card copy, and no figures (made by CLI sweep).
  const inherited = { name: 'resnet8-fp16', derivedFrom: 'resnet8', dataset: 'fashion-mnist', split: 'test', preprocessing: card.preprocessing }
  const variant = join(dir, 'resnet8-slim.onnx')
  copyFileSync(join(ZOO, 'resnet8-slim.onnx'), variant)
  insert.run('resnet8-fp16', variant, 'b'.repeat(64), 'fp16', 1, JSON.stringify(inherited), 'x')
  insert.run('damaged', '/gone.onnx', 'c'.repeat(64), 'fp32', null, '{"preprocessing": "not an object"}', 'x')
  db.prepare("INSERT INTO runs (kind, model_id, device_name, status, result, created_at) VALUES ('bench', 2, 'local', 'finished', ?, 'x')").run(
    JSON.stringify({ model: 'resnet8-fp16', latencyUs: { p50: 100, p90: 120, cv: 0.01, count: 10 }, memory: { peakRssBytes: 1 } }),
  )
  db.close()
}

describe('preprocessing migration', () => {
  it("moves card preprocessing into the model's own column; variants inherit; figures are filled", async () => {
    const path = join(dir, 'studio.db')
    previousBuild(path)
    const studio = Studio.open({ dbPath: path })
    try {
      const [original, variant, damaged] = studio.store.listModels()
      expect(original?.preprocess).toEqual({
        source: 'card',
        settings: { layout: 'NCHW', channels: 1, height: 28, width: 28, scale: 1 / 255, mean: [0.286], std: [0.353] },
      })
      expect(original?.dataset).toBe('fashion-mnist')
      expect(variant?.preprocess).toBeNull()
      expect(damaged?.preprocess).toBeNull()
      // The variant follows its parent's preprocessing (and a later change of it).
      const feed = feedOf(studio.store, variant!)
      expect([feed.preprocess?.source, feed.preprocessFrom?.name, feed.dataset]).toEqual(['card', 'resnet8', 'fashion-mnist'])
      // Before the fill, Explore has no size for the variant; after it, it has.
      const before = explorePoints(studio.store.listRuns({ status: 'finished' }), (id) => studio.store.getModel(id))
      expect(before[0]?.macs).toBeNull()
      expect(await studio.ensureFigures()).toBe(2)
      const after = explorePoints(studio.store.listRuns({ status: 'finished' }), (id) => studio.store.getModel(id))
      expect(after[0]?.macs).toBeGreaterThan(0)
      expect(after[0]?.fileBytes).toBeGreaterThan(0)
      expect(studio.store.getModel(3)?.inspect).toBeNull() // its file is gone: left as it was
    } finally {
      await studio.close()
    }
  })
})
