/**
 * The studio's one SQLite database (better-sqlite3, synchronous): models and their variants,
 * devices, runs, latency samples and metrics. WAL journal with synchronous = NORMAL: a committed
 * transaction survives a killed process, so a crash mid-run loses at most the chunk of samples
 * not yet appended.
 */
import { mkdirSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { StudioError, type ErrorInfo } from '../../common/errors.js'
import type { StoredLabels, StoredPreprocess } from '../../common/preprocessing.js'
import type { BenchResult, DeviceInfo, EvalResult, InspectResult, RunRecord } from '../../common/types.js'
import type { EarlyExitResult } from '../../common/early-exit.js'
import {
  type DeviceRow,
  type ModelRow,
  type RawRow,
  type VariantRecipe,
  toJson,
  toModelRow,
} from './rows.js'
import * as devices from './devices.js'
import * as runs from './runs.js'
import * as measured from './measured.js'
import * as sweeps from './early-exit.js'
import { checkIdentity, migrate } from './schema.js'
import { sqliteBindingOptions } from './sqlite-binding.js'
import { isBusy, storeError } from './store-errors.js'

export type { DeviceKind, DeviceRow, ModelRow, VariantRecipe } from './rows.js'
import type { DeviceInput } from './devices.js'
export type { DeviceInput }
export type { EndStatus, NewRun, RunFilter, StoredPredictions } from './runs.js'
export type { MeasuredModel, MeasuredOnDevice, MeasuredRun } from './measured.js'
export { INTERRUPTED_MESSAGE } from './runs.js'

export interface StoreOptions {
  /** Clock for created/started/finished times; tests pass a fixed one. */
  now?: () => Date
  /** How long to wait for another process's write lock before failing; default 30 s. */
  busyTimeoutMs?: number
  /** The better-sqlite3 binding built for Electron; used only inside Electron (sqlite-binding.ts). */
  electronBinding?: string
}

export interface ModelInput {
  name: string
  path: string
  sha256: string
  family?: string | null
  kind?: string
  /** The model this one was derived from (a variant); null for an imported original. */
  parentId?: number | null
  recipe?: VariantRecipe | null
  card?: Record<string, unknown> | null
  inspect?: InspectResult | null
  preprocess?: StoredPreprocess | null
  labels?: StoredLabels | null
  dataset?: string | null
}

/** What `setModelFeed` changes: a field given (null clears it) replaces the stored one. */
export interface ModelFeedUpdate {
  preprocess?: StoredPreprocess | null
  labels?: StoredLabels | null
  dataset?: string | null
  card?: Record<string, unknown> | null
}

/**
 * Other processes (CLIs in a CI pipeline, a studio window) write the same file; each write is a
 * short transaction, but on a loaded machine a queue of them can take seconds.
 */
const DEFAULT_BUSY_TIMEOUT_MS = 30_000
/** After SQLite's own wait, a busy store operation is tried again this many times. */
const BUSY_RETRIES = 3

/** Blocks this thread for `ms` (the store is synchronous; SQLite's own busy wait blocks too). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export class Store {
  readonly path: string
  /** How many runs the last session left queued or running, now marked interrupted. */
  readonly recoveredRuns: number
  private readonly db: Database.Database
  private readonly ctx: runs.RunContext
  private readonly busyTimeoutMs: number

  private constructor(path: string, db: Database.Database, opts: StoreOptions) {
    this.path = path
    this.db = db
    this.busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS
    this.ctx = { db, now: opts.now ?? ((): Date => new Date()), owner: `${hostname()}:${process.pid}` }
    this.recoveredRuns = runs.recoverRuns(this.ctx)
  }

  /**
   * Opens (creating if needed) the database at `path`, applies pending migrations and marks runs
   * a dead process left behind as interrupted. Throws STORE_ERROR with a one-line fix for a file
   * that is not an EdgeBench database, a newer schema, a lock held too long or an unwritable place.
   */
  static open(path: string, opts: StoreOptions = {}): Store {
    const busy = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS
    const memory = path === ':memory:'
    const full = memory ? path : resolve(path)
    let db: Database.Database | undefined
    try {
      if (!memory) mkdirSync(dirname(full), { recursive: true })
      if (!memory && statSync(full, { throwIfNoEntry: false })?.isDirectory()) {
        throw new StudioError('STORE_ERROR', `${full} is a folder; pass a database file path to --db.`)
      }
      db = new Database(full, { timeout: busy, ...sqliteBindingOptions(opts.electronBinding) })
      // Identity first: it only reads, so a foreign file is refused before anything is written.
      checkIdentity(db, full)
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.pragma('foreign_keys = ON')
      migrate(db, full)
      return new Store(full, db, opts)
    } catch (e) {
      db?.close()
      throw storeError(e, full, busy)
    }
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  /** The SQLite journal mode in effect ('wal' for a file database). */
  journalMode(): string {
    return this.guard(() => String(this.db.pragma('journal_mode', { simple: true })))
  }

  // ---- models and variants -------------------------------------------------------------------

  /** Inserts a model, or updates the row with the same sha256 (same file content = same model). */
  upsertModel(input: ModelInput): ModelRow {
    return this.guard(() => {
      this.checkParent(input)
      const row = this.db
        .prepare(
          `INSERT INTO models (name, path, sha256, family, kind, parent_id, recipe, card, inspect,
                               preprocess, labels, dataset, created_at)
           VALUES (@name, @path, @sha256, @family, @kind, @parentId, @recipe, @card, @inspect,
                   @preprocess, @labels, @dataset, @now)
           ON CONFLICT (sha256) DO UPDATE SET
             name = excluded.name, path = excluded.path,
             family = coalesce(excluded.family, family),
             kind = CASE WHEN @kindGiven THEN excluded.kind ELSE kind END,
             parent_id = coalesce(excluded.parent_id, parent_id),
             recipe = coalesce(excluded.recipe, recipe),
             card = coalesce(excluded.card, card),
             inspect = coalesce(excluded.inspect, inspect),
             preprocess = coalesce(excluded.preprocess, preprocess),
             labels = coalesce(excluded.labels, labels),
             dataset = coalesce(excluded.dataset, dataset)
           RETURNING *`,
        )
        .get({
          name: input.name,
          path: input.path,
          sha256: input.sha256,
          family: input.family ?? null,
          kind: input.kind ?? 'fp32',
          kindGiven: input.kind === undefined ? 0 : 1,
          parentId: input.parentId ?? null,
          recipe: toJson(input.recipe),
          card: toJson(input.card),
          inspect: toJson(input.inspect),
          preprocess: toJson(input.preprocess),
          labels: toJson(input.labels),
          dataset: input.dataset ?? null,
          now: this.ctx.now().toISOString(),
        }) as RawRow
      return toModelRow(row)
    })
  }

  getModel(id: number): ModelRow | null {
    return this.guard(() => this.oneModel('SELECT * FROM models WHERE id = ?', id))
  }

  getModelBySha(sha256: string): ModelRow | null {
    return this.guard(() => this.oneModel('SELECT * FROM models WHERE sha256 = ?', sha256))
  }

  listModels(): ModelRow[] {
    return this.guard(() => this.allModels('SELECT * FROM models ORDER BY id'))
  }

  /** Caches an inspection result on the model row. */
  setModelInspect(id: number, inspect: InspectResult): void {
    this.guard(() => {
      const changed = this.db
        .prepare('UPDATE models SET inspect = ? WHERE id = ?')
        .run(JSON.stringify(inspect), id).changes
      if (changed === 0) throw new StudioError('NOT_FOUND', `model ${id} does not exist`)
    })
  }

  /** Sets (or, with null, clears) a model's own preprocessing, label file or dataset; one transaction. */
  setModelFeed(id: number, update: ModelFeedUpdate): ModelRow {
    return this.guard(() => {
      const sets: string[] = []
      const args: Record<string, string | number | null> = { id }
      for (const key of ['preprocess', 'labels', 'dataset', 'card'] as const) {
        if (!(key in update)) continue
        const v = update[key]
        sets.push(`${key} = @${key}`)
        args[key] = key === 'dataset' ? ((v as string | null | undefined) ?? null) : toJson(v)
      }
      const row = this.db
        .prepare(`UPDATE models SET ${sets.length > 0 ? sets.join(', ') : 'id = id'} WHERE id = @id RETURNING *`)
        .get(args) as RawRow | undefined
      if (row === undefined) throw new StudioError('NOT_FOUND', `model ${id} does not exist`)
      return toModelRow(row)
    })
  }

  /** Direct children (variants) of a model, oldest first. */
  variantsOf(parentId: number): ModelRow[] {
    return this.guard(() => this.allModels('SELECT * FROM models WHERE parent_id = ? ORDER BY id', parentId))
  }

  // ---- devices -------------------------------------------------------------------------------

  /** Inserts or updates the device with this name; `info` is kept when not given. */
  upsertDevice(input: DeviceInput): DeviceRow {
    return this.guard(() => devices.upsertDevice(this.ctx, input))
  }

  getDevice(name: string): DeviceRow | null {
    return this.guard(() => devices.getDevice(this.db, name))
  }

  listDevices(): DeviceRow[] {
    return this.guard(() => devices.listDevices(this.db))
  }

  /** Removes a device; its past runs stay, still showing the device's name. */
  removeDevice(name: string): boolean {
    return this.guard(() => devices.removeDevice(this.db, name))
  }

  // ---- runs ----------------------------------------------------------------------------------

  /** Records a new run in status 'queued'; returns its id. */
  createRun(run: runs.NewRun): number {
    return this.guard(() => runs.createRun(this.ctx, run))
  }

  /** queued → running, recording the environment the run measures in. */
  startRun(id: number, env: DeviceInfo | null): void {
    this.guard(() => runs.startRun(this.ctx, id, env))
  }

  /**
   * Appends one chunk of latency samples (µs) after those already stored, in one transaction;
   * call it per chunk while the run goes. Returns the run's sample count.
   */
  appendSamples(runId: number, valuesUs: readonly number[]): number {
    return this.guard(() => runs.appendSamples(this.ctx, runId, valuesUs))
  }

  /** Every stored sample of the run, in the order measured. */
  getSamples(runId: number): Float64Array {
    return this.guard(() => runs.getSamples(this.ctx, runId))
  }

  /** Stores per-sample scores of an eval run as they arrive (see runs.appendPredictions). */
  appendPredictions(runId: number, offset: number, scores: Float32Array, classes: number): void {
    this.guard(() => runs.appendPredictions(this.ctx, runId, offset, scores, classes))
  }

  /** The stored per-sample scores of an eval run, in sample order. */
  getPredictions(runId: number): runs.StoredPredictions {
    return this.guard(() => runs.getPredictions(this.ctx, runId))
  }

  /** Sets (or replaces) metrics of a run, e.g. `{ 'latency.p50': 182 }`. */
  setMetrics(runId: number, metrics: Record<string, number>): void {
    this.guard(() => runs.setMetrics(this.ctx, runId, metrics))
  }

  getMetrics(runId: number): Record<string, number> {
    return this.guard(() => runs.getMetrics(this.ctx, runId))
  }

  /** running → finished with its result; metrics derived from the result are written with it. */
  finishRun(id: number, result: BenchResult | EvalResult): void {
    this.guard(() => runs.closeRun(this.ctx, id, 'finished', null, result))
  }

  /** Ends an active run unsuccessfully, keeping whatever partial result was measured. */
  endRun(
    id: number,
    status: runs.EndStatus,
    error: ErrorInfo | null,
    partialResult?: BenchResult | EvalResult,
  ): void {
    this.guard(() => runs.closeRun(this.ctx, id, status, error, partialResult ?? null))
  }

  getRun(id: number): RunRecord | null {
    return this.guard(() => runs.getRun(this.ctx, id))
  }

  /** Runs matching the filter, newest first. */
  listRuns(filter?: runs.RunFilter): RunRecord[] {
    return this.guard(() => runs.listRuns(this.ctx, filter))
  }

  /** Deletes a run with its samples and metrics; false if there was no such run. */
  deleteRun(id: number): boolean {
    return this.guard(() => runs.deleteRun(this.ctx, id))
  }

  // ---- what was measured where (recommendations) ---------------------------------------------

  /** Light rows of every finished run on a device (no samples, no whole results). */
  measuredOn(deviceName: string): measured.MeasuredOnDevice {
    return this.guard(() => measured.measuredOn(this.db, deviceName))
  }

  /** The models with these ids, with the figures a recommendation reads from their inspection. */
  modelsForMeasure(ids: readonly number[]): measured.MeasuredModel[] {
    return this.guard(() => measured.modelsForMeasure(this.db, ids))
  }

  /** These model ids and every variant derived from them, at any depth. */
  withDescendants(rootIds: readonly number[]): number[] {
    return this.guard(() => measured.withDescendants(this.db, rootIds))
  }

  // ---- early-exit sweeps ---------------------------------------------------------------------

  /** Stores a sweep with its timed samples (per configuration); returns its id. */
  saveEarlyExit(result: EarlyExitResult, samplesUs: readonly number[][]): number {
    return this.guard(() => sweeps.saveSweep(this.ctx, result, samplesUs))
  }

  getEarlyExit(id: number): sweeps.StoredSweep | null {
    return this.guard(() => sweeps.getSweep(this.ctx, id))
  }

  /** Sweeps of a model (or every model), newest first, without samples. */
  listEarlyExits(modelId?: number): EarlyExitResult[] {
    return this.guard(() => sweeps.listSweeps(this.ctx, modelId))
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** A variant's parent must exist and must not be the variant itself (same file content). */
  private checkParent(input: ModelInput): void {
    if (input.parentId === undefined || input.parentId === null) return
    const parent = this.db.prepare('SELECT sha256 FROM models WHERE id = ?').pluck().get(input.parentId)
    if (typeof parent !== 'string') {
      throw new StudioError('NOT_FOUND', `parent model ${input.parentId} of ${input.name} does not exist`)
    }
    if (parent === input.sha256) {
      throw new StudioError(
        'BAD_INPUT',
        `${input.name} has the same content as its parent; it is not a variant`,
      )
    }
  }

  private oneModel(sql: string, arg: number | string): ModelRow | null {
    const row = this.db.prepare(sql).get(arg) as RawRow | undefined
    return row === undefined ? null : toModelRow(row)
  }

  private allModels(sql: string, ...args: (number | string)[]): ModelRow[] {
    return (this.db.prepare(sql).all(...args) as RawRow[]).map(toModelRow)
  }

  /**
   * Every public method goes through here so SQLite failures reach the user as STORE_ERRORs. Each
   * method is one statement or one transaction, so a busy one (nothing written) is tried again:
   * SQLite's busy handler does not cover every case (a stale WAL snapshot, recovery).
   */
  private guard<T>(fn: () => T): T {
    if (!this.db.open) throw new StudioError('STORE_ERROR', `database ${this.path} is closed`)
    for (let attempt = 0; ; attempt++) {
      try {
        return fn()
      } catch (e) {
        if (isBusy(e) && attempt < BUSY_RETRIES && this.db.open && !this.db.inTransaction) {
          pause(50 * 2 ** attempt + Math.random() * 50)
          continue
        }
        throw storeError(e, this.path, this.busyTimeoutMs)
      }
    }
  }
}
