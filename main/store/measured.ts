/**
 * What has been measured on one device, read for recommendations: one light row per finished run
 * (ids, headline metrics from the metrics index, the eval's dataset) and one per model involved
 * (figures pulled out of the cached inspection with json_extract). Neither reads the samples table
 * nor parses a whole result or inspection in JavaScript, so it stays fast with thousands of runs.
 */
import type Database from 'better-sqlite3'
import type { DeviceKind, VariantRecipe } from './rows.js'

export interface MeasuredRun {
  id: number
  kind: 'bench' | 'eval'
  modelId: number
  p50Us: number | null
  p90Us: number | null
  peakRssBytes: number | null
  top1: number | null
  count: number | null
  dataset: string | null
  split: string | null
  threads: number | null
}

export interface MeasuredModel {
  id: number
  name: string
  family: string | null
  kind: string
  parentId: number | null
  recipe: VariantRecipe | null
  fileBytes: number | null
  weightsBytes: number | null
  peakActivationBytes: number | null
  /** inspect.paramsByDtype, to tell an imported INT8 file from an FP32 one. */
  paramsByDtype: Record<string, { count: number; bytes: number }> | null
  /** The dataset named by the model's card (or an ancestor's, resolved by the caller). */
  cardDataset: string | null
  hasInspect: boolean
}

export interface MeasuredOnDevice {
  deviceKind: DeviceKind | null
  runs: MeasuredRun[]
}

const metric = (key: string): string => `(SELECT value FROM metrics WHERE run_id = r.id AND key = '${key}')`

export function measuredOn(db: Database.Database, deviceName: string): MeasuredOnDevice {
  const kind = db.prepare('SELECT kind FROM devices WHERE name = ?').pluck().get(deviceName)
  const runs = db
    .prepare(
      `SELECT r.id, r.kind, r.model_id AS modelId,
         ${metric('latency.p50')} AS p50Us, ${metric('latency.p90')} AS p90Us,
         ${metric('memory.peakRssBytes')} AS peakRssBytes,
         ${metric('accuracy.top1')} AS top1, ${metric('accuracy.count')} AS count,
         CASE WHEN r.kind = 'eval' THEN json_extract(r.result, '$.dataset') END AS dataset,
         CASE WHEN r.kind = 'eval' THEN json_extract(r.result, '$.split') END AS split,
         json_extract(r.spec, '$.session.threads') AS threads
       FROM runs r LEFT JOIN devices d ON d.id = r.device_id
       WHERE r.status = 'finished' AND coalesce(d.name, r.device_name) = ?
       ORDER BY r.id`,
    )
    .all(deviceName) as MeasuredRun[]
  return { deviceKind: typeof kind === 'string' ? (kind as DeviceKind) : null, runs }
}

interface RawModel {
  id: number
  name: string
  family: string | null
  kind: string
  parentId: number | null
  recipe: string | null
  fileBytes: number | null
  cardFileBytes: number | null
  weightsBytes: number | null
  peakActivationBytes: number | null
  paramsByDtype: string | null
  cardDataset: string | null
  hasInspect: number
}

/** Models by id (missing ids are left out), with the figures a recommendation needs. */
export function modelsForMeasure(db: Database.Database, ids: readonly number[]): MeasuredModel[] {
  if (ids.length === 0) return []
  const rows = db
    .prepare(
      `SELECT id, name, family, kind, parent_id AS parentId, recipe,
         json_extract(inspect, '$.fileBytes') AS fileBytes,
         json_extract(card, '$.fileBytes') AS cardFileBytes,
         json_extract(inspect, '$.weightsBytes') AS weightsBytes,
         json_extract(inspect, '$.peakActivationBytes') AS peakActivationBytes,
         json_extract(inspect, '$.paramsByDtype') AS paramsByDtype,
         json_extract(card, '$.dataset') AS cardDataset,
         inspect IS NOT NULL AS hasInspect
       FROM models WHERE id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(ids)) as RawModel[]
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    family: r.family,
    kind: r.kind,
    parentId: r.parentId,
    recipe: r.recipe === null ? null : (JSON.parse(r.recipe) as VariantRecipe),
    fileBytes: r.fileBytes ?? r.cardFileBytes,
    weightsBytes: r.weightsBytes,
    peakActivationBytes: r.peakActivationBytes,
    paramsByDtype: r.paramsByDtype === null ? null : (JSON.parse(r.paramsByDtype) as MeasuredModel['paramsByDtype']),
    cardDataset: typeof r.cardDataset === 'string' ? r.cardDataset : null,
    hasInspect: r.hasInspect === 1,
  }))
}

/** Ids of the given models and every model derived from them, at any depth. */
export function withDescendants(db: Database.Database, rootIds: readonly number[]): number[] {
  if (rootIds.length === 0) return []
  return db
    .prepare(
      `WITH RECURSIVE tree(id) AS (
         SELECT value FROM json_each(?)
         UNION SELECT m.id FROM models m JOIN tree t ON m.parent_id = t.id)
       SELECT id FROM tree ORDER BY id`,
    )
    .pluck()
    .all(JSON.stringify(rootIds)) as number[]
}
