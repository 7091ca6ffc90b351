/**
 * Stored early-exit sweeps (main/early-exit): the result as JSON and the timed samples of every
 * configuration as one float32 blob (the unsplit model's first, then each threshold's), so an
 * operating point can later become a variant with its own latency run (Add to Explore).
 */
import type { EarlyExitResult } from '../../common/early-exit.js'
import { StudioError } from '../../common/errors.js'
import { damagedCell } from './store-errors.js'
import type { RunContext } from './runs.js'

export interface StoredSweep {
  result: EarlyExitResult
  /** Per configuration: 0 = the unsplit model, 1 + i = result.points[i]. */
  samplesUs: Float32Array[]
}

interface Row {
  id: number
  result: string
  samples: Buffer
  created_at: string
}

function parse(row: Row): EarlyExitResult {
  try {
    return { ...(JSON.parse(row.result) as EarlyExitResult), id: row.id, createdAt: row.created_at }
  } catch (e) {
    throw damagedCell(`early-exit sweep ${row.id}`, 'result', e instanceof Error ? e.message : String(e))
  }
}

export function saveSweep(ctx: RunContext, result: EarlyExitResult, samplesUs: readonly number[][]): number {
  const counts = [result.full.timedCount, ...result.points.map((p) => p.timedCount)]
  if (samplesUs.length !== counts.length || samplesUs.some((s, i) => s.length !== counts[i])) {
    throw new StudioError('INTERNAL', 'The early-exit samples do not match the configurations of the result')
  }
  const flat = Float32Array.from(samplesUs.flat())
  const info = ctx.db
    .prepare(
      'INSERT INTO early_exit_sweeps (model_id, device_name, result, samples, created_at) VALUES (?, ?, ?, ?, ?)',
    )
    .run(
      result.modelId,
      result.device,
      JSON.stringify({ ...result, id: undefined }),
      Buffer.from(flat.buffer),
      result.createdAt,
    )
  return Number(info.lastInsertRowid)
}

export function getSweep(ctx: RunContext, id: number): StoredSweep | null {
  const row = ctx.db
    .prepare('SELECT id, result, samples, created_at FROM early_exit_sweeps WHERE id = ?')
    .get(id) as Row | undefined
  if (!row) return null
  const result = parse(row)
  const all = new Float32Array(
    row.samples.buffer.slice(row.samples.byteOffset, row.samples.byteOffset + row.samples.byteLength),
  )
  const counts = [result.full.timedCount, ...result.points.map((p) => p.timedCount)]
  if (counts.reduce((a, b) => a + b, 0) !== all.length)
    throw damagedCell(
      `early-exit sweep ${id}`,
      'samples',
      `${all.length} samples for ${counts.join('+')} timed runs`,
    )
  let at = 0
  const samplesUs = counts.map((n) => all.subarray(at, (at += n)))
  return { result, samplesUs }
}

/** Sweeps of a model (or all), newest first, without their samples. */
export function listSweeps(ctx: RunContext, modelId?: number): EarlyExitResult[] {
  const rows = (
    modelId === undefined
      ? ctx.db.prepare('SELECT id, result, created_at FROM early_exit_sweeps ORDER BY id DESC').all()
      : ctx.db
          .prepare('SELECT id, result, created_at FROM early_exit_sweeps WHERE model_id = ? ORDER BY id DESC')
          .all(modelId)
  ) as Row[]
  return rows.map(parse)
}
