/**
 * Runs, their latency samples and metrics: the SQL behind the run methods of Store.
 * A run moves queued → running → finished | failed | cancelled | interrupted; the end states are
 * final, so a late cancel cannot overwrite a finished result.
 */
import type Database from 'better-sqlite3'
import { StudioError, type ErrorInfo } from '../../common/errors.js'
import type {
  BenchResult,
  DeviceInfo,
  EvalResult,
  RunKind,
  RunRecord,
  RunStatus,
} from '../../common/types.js'
import { type RawRow, toJson, toRunRecord } from './rows.js'
import { metricsFromResult } from './run-metrics.js'

export interface RunContext {
  db: Database.Database
  now: () => Date
  /** 'hostname:pid' of this process, written on the runs it drives. */
  owner: string
}

export interface NewRun {
  kind: RunKind
  modelId: number
  deviceId: number
  /** What was asked for (latency spec, session options, dataset…), stored as given. */
  spec: Record<string, unknown>
}

export interface RunFilter {
  status?: RunStatus | RunStatus[]
  kind?: RunKind
  modelId?: number
  deviceName?: string
  limit?: number
}

export type EndStatus = 'failed' | 'cancelled' | 'interrupted'

const ACTIVE: readonly RunStatus[] = ['queued', 'running']

const SELECT_RUN = `
  SELECT r.*, m.name AS model_name, coalesce(d.name, r.device_name) AS device_label
  FROM runs r
  JOIN models m ON m.id = r.model_id
  LEFT JOIN devices d ON d.id = r.device_id`

function statusOf(ctx: RunContext, id: number): RunStatus {
  const status = ctx.db.prepare('SELECT status FROM runs WHERE id = ?').pluck().get(id)
  if (typeof status !== 'string') throw new StudioError('NOT_FOUND', `run ${id} does not exist`)
  return status as RunStatus
}

function requireStatus(ctx: RunContext, id: number, allowed: readonly RunStatus[], verb: string): void {
  const status = statusOf(ctx, id)
  if (!allowed.includes(status)) {
    throw new StudioError('BAD_INPUT', `cannot ${verb} run ${id}: it is already ${status}`)
  }
}

export function createRun(ctx: RunContext, run: NewRun): number {
  const device = ctx.db.prepare('SELECT name FROM devices WHERE id = ?').pluck().get(run.deviceId)
  if (typeof device !== 'string') {
    throw new StudioError('NOT_FOUND', `device ${run.deviceId} does not exist; add it first`)
  }
  const model = ctx.db.prepare('SELECT 1 FROM models WHERE id = ?').get(run.modelId)
  if (model === undefined) {
    throw new StudioError('NOT_FOUND', `model ${run.modelId} does not exist; import it first`)
  }
  const info = ctx.db
    .prepare(
      `INSERT INTO runs (kind, model_id, device_id, device_name, status, spec, owner, created_at)
       VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)`,
    )
    .run(
      run.kind,
      run.modelId,
      run.deviceId,
      device,
      JSON.stringify(run.spec),
      ctx.owner,
      ctx.now().toISOString(),
    )
  return Number(info.lastInsertRowid)
}

/*
 * Every write transaction here begins IMMEDIATE (takes the write lock first, waiting under the
 * busy timeout): a deferred one that reads, then writes, cannot wait for another process's lock
 * in WAL mode and fails at once with SQLITE_BUSY — what lost runs with six CLIs on one database.
 */

export function startRun(ctx: RunContext, id: number, env: DeviceInfo | null): void {
  ctx.db.transaction(() => {
    requireStatus(ctx, id, ['queued'], 'start')
    ctx.db
      .prepare(`UPDATE runs SET status = 'running', env = ?, owner = ?, started_at = ? WHERE id = ?`)
      .run(toJson(env), ctx.owner, ctx.now().toISOString(), id)
  }).immediate()
}

/** Appends one chunk in one transaction; returns how many samples the run now has. */
export function appendSamples(ctx: RunContext, runId: number, valuesUs: readonly number[]): number {
  const bad = valuesUs.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0) {
    throw new StudioError('BAD_INPUT', `sample ${bad} of the chunk for run ${runId} is not a finite number`)
  }
  const append = ctx.db.transaction((): number => {
    requireStatus(ctx, runId, ACTIVE, 'add samples to')
    const last = ctx.db
      .prepare('SELECT coalesce(max(seq), -1) FROM samples WHERE run_id = ?')
      .pluck()
      .get(runId) as number
    const insert = ctx.db.prepare('INSERT INTO samples (run_id, seq, value_us) VALUES (?, ?, ?)')
    valuesUs.forEach((v, i) => insert.run(runId, last + 1 + i, v))
    return last + 1 + valuesUs.length
  })
  return append.immediate()
}

/** Stored predictions of a run: sample indices in order and their class scores. */
export interface StoredPredictions {
  indices: number[]
  classes: number
  /** Row-major [indices.length × classes]. */
  scores: Float32Array
}

/**
 * Stores the scores of samples offset, offset + 1, … (row-major, `classes` per sample) in one
 * transaction. Scores are little-endian float32 blobs, one row per sample.
 */
export function appendPredictions(
  ctx: RunContext,
  runId: number,
  offset: number,
  scores: Float32Array,
  classes: number,
): void {
  if (!Number.isInteger(classes) || classes < 1 || scores.length % classes !== 0) {
    throw new StudioError('BAD_INPUT', `predictions for run ${runId}: ${scores.length} scores are not rows of ${classes}`)
  }
  const append = ctx.db.transaction(() => {
    requireStatus(ctx, runId, ACTIVE, 'add predictions to')
    const insert = ctx.db.prepare('INSERT OR REPLACE INTO predictions (run_id, seq, scores) VALUES (?, ?, ?)')
    for (let r = 0; r * classes < scores.length; r++) {
      const row = scores.subarray(r * classes, (r + 1) * classes)
      insert.run(runId, offset + r, Buffer.from(row.buffer, row.byteOffset, row.byteLength))
    }
  })
  append.immediate()
}

export function getPredictions(ctx: RunContext, runId: number): StoredPredictions {
  const rows = ctx.db.prepare('SELECT seq, scores FROM predictions WHERE run_id = ? ORDER BY seq').all(runId) as {
    seq: number
    scores: Buffer
  }[]
  const classes = rows.length > 0 ? (rows[0] as { scores: Buffer }).scores.byteLength / 4 : 0
  const scores = new Float32Array(rows.length * classes)
  rows.forEach((r, i) => {
    if (r.scores.byteLength !== classes * 4) {
      throw new StudioError('STORE_ERROR', `run ${runId}: prediction ${r.seq} has ${r.scores.byteLength / 4} scores, not ${classes}`)
    }
    scores.set(new Float32Array(r.scores.buffer.slice(r.scores.byteOffset, r.scores.byteOffset + r.scores.byteLength)), i * classes)
  })
  return { indices: rows.map((r) => r.seq), classes, scores }
}

export function getSamples(ctx: RunContext, runId: number): Float64Array {
  const values = ctx.db
    .prepare('SELECT value_us FROM samples WHERE run_id = ? ORDER BY seq')
    .pluck()
    .all(runId) as number[]
  return Float64Array.from(values)
}

export function setMetrics(ctx: RunContext, runId: number, metrics: Record<string, number>): void {
  for (const [key, value] of Object.entries(metrics)) {
    if (!Number.isFinite(value)) {
      throw new StudioError('BAD_INPUT', `metric ${key} of run ${runId} is not a finite number`)
    }
  }
  const write = ctx.db.transaction(() => {
    statusOf(ctx, runId)
    const upsert = ctx.db.prepare(
      `INSERT INTO metrics (run_id, key, value) VALUES (?, ?, ?)
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`,
    )
    for (const [key, value] of Object.entries(metrics)) upsert.run(runId, key, value)
  })
  // Nested inside closeRun's transaction, .immediate() just runs it as a savepoint.
  write.immediate()
}

export function getMetrics(ctx: RunContext, runId: number): Record<string, number> {
  const rows = ctx.db.prepare('SELECT key, value FROM metrics WHERE run_id = ? ORDER BY key').all(runId) as {
    key: string
    value: number
  }[]
  return Object.fromEntries(rows.map((r) => [r.key, r.value]))
}

/** Moves an active run to an end state, storing the result (if any) and its derived metrics. */
export function closeRun(
  ctx: RunContext,
  id: number,
  status: 'finished' | EndStatus,
  error: ErrorInfo | null,
  result: BenchResult | EvalResult | null,
): void {
  ctx.db.transaction(() => {
    requireStatus(ctx, id, ACTIVE, status === 'finished' ? 'finish' : `mark as ${status}`)
    ctx.db
      .prepare('UPDATE runs SET status = ?, result = ?, error = ?, error_code = ?, finished_at = ? WHERE id = ?')
      .run(status, toJson(result), error?.message ?? null, error?.code ?? null, ctx.now().toISOString(), id)
    if (result !== null) setMetrics(ctx, id, metricsFromResult(result))
  }).immediate()
}

export function getRun(ctx: RunContext, id: number): RunRecord | null {
  const row = ctx.db.prepare(`${SELECT_RUN} WHERE r.id = ?`).get(id) as RawRow | undefined
  return row === undefined ? null : toRunRecord(row)
}

export function listRuns(ctx: RunContext, filter: RunFilter = {}): RunRecord[] {
  const where: string[] = []
  const params: (string | number)[] = []
  if (filter.status !== undefined) {
    const statuses = Array.isArray(filter.status) ? filter.status : [filter.status]
    if (statuses.length === 0) return []
    where.push(`r.status IN (${statuses.map(() => '?').join(', ')})`)
    params.push(...statuses)
  }
  if (filter.kind !== undefined) {
    where.push('r.kind = ?')
    params.push(filter.kind)
  }
  if (filter.modelId !== undefined) {
    where.push('r.model_id = ?')
    params.push(filter.modelId)
  }
  if (filter.deviceName !== undefined) {
    where.push('coalesce(d.name, r.device_name) = ?')
    params.push(filter.deviceName)
  }
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
  const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : ''
  const rows = ctx.db.prepare(`${SELECT_RUN}${clause} ORDER BY r.id DESC${limit}`).all(...params) as RawRow[]
  return rows.map(toRunRecord)
}

export function deleteRun(ctx: RunContext, id: number): boolean {
  return ctx.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0
}

export const INTERRUPTED_MESSAGE = 'the studio stopped while this run was in progress'

function ownerIsAlive(owner: unknown, self: string): boolean {
  if (typeof owner !== 'string') return false
  const cut = owner.lastIndexOf(':')
  const host = owner.slice(0, cut)
  const pid = Number(owner.slice(cut + 1))
  if (cut < 0 || host !== self.slice(0, self.lastIndexOf(':')) || !Number.isInteger(pid)) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but belongs to another user — still alive.
    return typeof e === 'object' && e !== null && 'code' in e && e.code === 'EPERM'
  }
}

/**
 * Marks queued and running runs whose process is gone as interrupted; their samples stay.
 * Runs driven by another live process on this machine (a second window, a CLI) are left alone.
 */
export function recoverRuns(ctx: RunContext): number {
  const recover = ctx.db.transaction((): number => {
    const rows = ctx.db.prepare(`SELECT id, owner FROM runs WHERE status IN ('queued', 'running')`).all() as {
      id: number
      owner: unknown
    }[]
    const mark = ctx.db.prepare(
      `UPDATE runs SET status = 'interrupted', error = ?, error_code = 'INTERRUPTED', finished_at = ? WHERE id = ?`,
    )
    let count = 0
    for (const row of rows) {
      if (ownerIsAlive(row.owner, ctx.owner)) continue
      mark.run(INTERRUPTED_MESSAGE, ctx.now().toISOString(), row.id)
      count++
    }
    return count
  })
  return recover.immediate()
}
