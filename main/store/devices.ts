/** The devices table: one row per device name (kind, its settings as JSON, the last probe). */
import type Database from 'better-sqlite3'
import type { DeviceInfo } from '../../common/types.js'
import { type DeviceKind, type DeviceRow, type RawRow, toDeviceRow, toJson } from './rows.js'
import type { RunContext } from './runs.js'

export interface DeviceInput {
  name: string
  kind: DeviceKind
  config?: Record<string, unknown>
  info?: DeviceInfo | null
}

/** Inserts or updates the device with this name; `config` and `info` are kept when not given. */
export function upsertDevice(ctx: RunContext, input: DeviceInput): DeviceRow {
  const row = ctx.db
    .prepare(
      `INSERT INTO devices (name, kind, config, info, created_at, updated_at)
       VALUES (@name, @kind, @config, @info, @now, @now)
       ON CONFLICT (name) DO UPDATE SET
         kind = excluded.kind,
         config = CASE WHEN @configGiven THEN excluded.config ELSE config END,
         info = coalesce(excluded.info, info),
         updated_at = excluded.updated_at
       RETURNING *`,
    )
    .get({
      name: input.name,
      kind: input.kind,
      config: JSON.stringify(input.config ?? {}),
      configGiven: input.config === undefined ? 0 : 1,
      info: toJson(input.info),
      now: ctx.now().toISOString(),
    }) as RawRow
  return toDeviceRow(row)
}

export function getDevice(db: Database.Database, name: string): DeviceRow | null {
  const row = db.prepare('SELECT * FROM devices WHERE name = ?').get(name) as RawRow | undefined
  return row === undefined ? null : toDeviceRow(row)
}

export function listDevices(db: Database.Database): DeviceRow[] {
  return (db.prepare('SELECT * FROM devices ORDER BY name').all() as RawRow[]).map(toDeviceRow)
}

export function removeDevice(db: Database.Database, name: string): boolean {
  return db.prepare('DELETE FROM devices WHERE name = ?').run(name).changes > 0
}
