/**
 * 'runs:compare' on real runs (real store, real local device): entries per (model, device), the
 * baseline the user picks, and the four deltas with their verdicts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareProportions } from '../../common/stats.js'
import { parseRecipe } from '../../common/recipe.js'
import { compareRuns } from '../../main/api/compare-runs.js'
import { runSpec } from '../../main/bench/run-spec.js'
import { Studio } from '../../main/studio.js'

const QUICK = { minRuns: 30, minMs: 100, warmupRuns: 2, warmupMs: 10 }
const dir = mkdtempSync(join(tmpdir(), 'edgebench-compare-'))
let studio: Studio
const runs: Record<string, { bench: number; eval: number }> = {}

beforeAll(async () => {
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  const parent = await studio.importModel(resolve(import.meta.dirname, '../../resources/models/resnet8.onnx'))
  await studio.inspect(parent.id)
  const { model: fp16 } = await studio.deriveVariant(parent.id, parseRecipe({ method: 'fp16' }))
  for (const m of [parent, fp16]) {
    const bench = await studio.runAndWait(runSpec({ kind: 'bench', modelId: m.id, deviceName: 'local', latency: QUICK }))
    const ev = await studio.runAndWait(runSpec({ kind: 'eval', modelId: m.id, deviceName: 'local', limit: 300 }))
    runs[m.kind] = { bench: bench.id, eval: ev.id }
  }
}, 300_000)

afterAll(async () => {
  await studio.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('compareRuns', () => {
  it('judges every entry against the baseline the user picks, on latency, accuracy, size and memory', async () => {
    const a = runs.fp32
    const b = runs.fp16
    if (!a || !b) throw new Error('runs missing')
    const all = [a.bench, a.eval, b.bench, b.eval]
    const cmp = await compareRuns(studio, { runIds: all, baselineRunId: b.eval })
    expect(cmp.baseline).toMatchObject({ model: 'resnet8-fp16', variant: 'fp16', benchRunId: b.bench, evalRunId: b.eval })
    expect(cmp.rows).toHaveLength(1)
    const row = cmp.rows[0]
    if (!row) throw new Error('no row')
    expect(row.model).toBe('resnet8')
    expect(['faster', 'slower', 'within noise']).toContain(row.latency?.verdict)
    expect(row.latency?.ci95[0]).toBeLessThanOrEqual(row.latency?.ratio ?? 0)
    // FP16 stores weights in half: the FP32 parent is about twice its size, exactly.
    expect(row.size?.verdict).toBe('larger')
    expect(row.size?.ratio).toBeGreaterThan(1.5)
    expect(row.accuracy?.delta).toBeCloseTo((row.top1 ?? 0) - (cmp.baseline.top1 ?? 0), 12)
    expect(row.memory?.verdict).toMatch(/^(smaller|larger|within noise)$/)
    expect(row.notes).toEqual([])

    // The other way round: the parent as baseline; the size verdict turns.
    const back = await compareRuns(studio, { runIds: all })
    expect(back.baseline.model).toBe('resnet8')
    expect(back.rows[0]?.size?.verdict).toBe('smaller')
  })

  it('says which delta is missing and why', async () => {
    const a = runs.fp32
    const b = runs.fp16
    if (!a || !b) throw new Error('runs missing')
    const cmp = await compareRuns(studio, { runIds: [a.bench, b.eval] })
    expect(cmp.rows[0]?.latency).toBeNull()
    expect(cmp.rows[0]?.accuracy).toBeNull()
    expect(cmp.rows[0]?.notes.join(' ')).toMatch(/latency: no finished benchmark of this entry.*accuracy: no finished accuracy run of the baseline/)
    await expect(compareRuns(studio, { runIds: [a.bench, a.eval] })).rejects.toThrow(/at least two models or devices/)
    await expect(compareRuns(studio, { runIds: [a.bench, b.bench], baselineRunId: b.eval })).rejects.toThrow(/not among the runs/)
  })
})

describe('compareProportions', () => {
  it('calls a difference only when the interval excludes zero', () => {
    expect(compareProportions({ p: 0.9, n: 10_000 }, { p: 0.92, n: 10_000 }).verdict).toBe('better')
    expect(compareProportions({ p: 0.9, n: 300 }, { p: 0.92, n: 300 }).verdict).toBe('within noise')
    expect(compareProportions({ p: 0.9, n: 10_000 }, { p: 0.1, n: 10_000 }).verdict).toBe('worse')
    const same = compareProportions({ p: 1, n: 100 }, { p: 1, n: 100 })
    expect(same.verdict).toBe('within noise')
    expect(same.ci95[1]).toBeGreaterThan(0)
  })
})
