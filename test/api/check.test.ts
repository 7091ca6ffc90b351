/**
 * The sides of `edgebench check` in-process on a real Studio: run ids paired with their companion
 * runs, results.json rows (with and without samples, one or several), and every bad input refused
 * with a line that says what to do.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHECK_LIMITS } from '../../common/check.js'
import { checkFor } from '../../main/api/check.js'
import { exportReport } from '../../main/api/report-export.js'
import { runSpec } from '../../main/bench/run-spec.js'
import { Studio } from '../../main/studio.js'

const root = resolve(import.meta.dirname, '../..')
const RESNET8 = join(root, 'resources/models/resnet8.onnx')
const CONDENSENEXT = join(root, 'resources/models/condensenext.onnx')
const QUICK = { minRuns: 30, minMs: 100, warmupRuns: 2, warmupMs: 20 }

let dir: string
let studio: Studio
const ids: Record<string, number> = {}

async function measure(path: string, kind: 'bench' | 'eval'): Promise<number> {
  const model = await studio.importModel(path)
  const run = await studio.runAndWait(runSpec({ kind, modelId: model.id, deviceName: 'local', latency: QUICK, dataset: 'fashion-mnist', limit: 50 }))
  expect(run.status, run.error ?? '').toBe('finished')
  return run.id
}

const check = (baseline: string, candidate: string, extra = {}) =>
  checkFor(studio, { baseline, candidate, limits: { ...DEFAULT_CHECK_LIMITS, maxSlowdownPct: 1000 }, ...extra })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-check-api-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  ids.rBench = await measure(RESNET8, 'bench')
  ids.rEval = await measure(RESNET8, 'eval')
  ids.cBench = await measure(CONDENSENEXT, 'bench')
}, 300_000)

afterAll(async () => {
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function exportJson(runIds: number[], file: string): Promise<string> {
  writeFileSync(file, (await exportReport(studio, runIds, 'json')).content)
  return file
}

describe('check sides', () => {
  it('a run id brings its companion run: the bench and the eval of the same model and device', async () => {
    const r = await check(String(ids.rEval), String(ids.rBench))
    expect(r.baseline.runIds).toEqual([ids.rBench, ids.rEval])
    expect(r.candidate.runIds).toEqual([ids.rBench, ids.rEval])
    expect(r.ok).toBe(true)
    expect(r.items.map((i) => i.outcome)).toEqual(['pass', 'pass', 'pass'])
    // A candidate with no accuracy run is not failed on accuracy: the item says it was skipped.
    const c = await check(String(ids.rBench), String(ids.cBench))
    expect(c.items[1]).toMatchObject({ limit: 'accuracy', outcome: 'skip' })
    expect(c.items[1]?.text).toMatch(/the candidate has no accuracy run/)
  })

  it('reads results.json rows; several rows need --model; samples make the bootstrap verdict', async () => {
    const one = await exportJson([ids.rBench as number, ids.rEval as number], join(dir, 'one.json'))
    const r = await check(one, String(ids.rBench))
    expect(r.items[0]?.method).toBe('bootstrap')
    expect(r.baseline.dataset).toBe('fashion-mnist test')
    const several = await exportJson([ids.rBench as number, ids.cBench as number], join(dir, 'several.json'))
    await expect(check(several, String(ids.rBench))).rejects.toThrow(/holds 2 rows \(resnet8 on local, condensenext on local\); pick one with --model/)
    const picked = await check(several, String(ids.cBench), { model: 'condensenext' })
    expect(picked.baseline.model).toBe('condensenext')
    await expect(check(several, String(ids.rBench), { model: 'ghostnet' })).rejects.toThrow(/no row for model 'ghostnet'/)
  })

  it('an older results.json without samples is judged from the CIs, and says so', async () => {
    const file = join(dir, 'old.json')
    const doc = JSON.parse(readFileSync(await exportJson([ids.rBench as number], file), 'utf8')) as Record<string, unknown>
    delete doc.latencySamplesUs
    writeFileSync(file, JSON.stringify(doc))
    const r = await check(file, String(ids.rBench))
    expect(r.items[0]?.method).toBe('from-ci')
    expect(r.notes.join(' ')).toMatch(/medians' CIs/)
  })

  it('refuses bad input with what to do', async () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{ not json')
    await expect(check(bad, '1')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/is not JSON/) })
    writeFileSync(bad, JSON.stringify({ tool: 'other', rows: [] }))
    await expect(check(bad, '1')).rejects.toThrow(/not an EdgeBench results\.json at 'tool'/)
    await expect(check(RESNET8, '1')).rejects.toThrow(/--baseline must be a run id or a results\.json/)
    await expect(check('12345', '1')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(check('1', join(dir, 'nope.onnx'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
    const other = join(dir, 'mnist.json')
    const doc = JSON.parse(readFileSync(await exportJson([ids.rBench as number, ids.rEval as number], other), 'utf8')) as { rows: Record<string, unknown>[] }
    for (const row of doc.rows) row.datasetName = 'mnist'
    writeFileSync(other, JSON.stringify(doc))
    await expect(check(other, String(ids.rEval))).rejects.toThrow(/on mnist test, the candidate's on fashion-mnist test/)
    const model = await studio.importModel(RESNET8)
    const id = studio.startRun(runSpec({ kind: 'bench', modelId: model.id, deviceName: 'local', latency: { minMs: 60_000, maxMs: 60_000 } }))
    studio.runs.cancel(id)
    await studio.runs.wait(id)
    await expect(check(String(id), '1')).rejects.toThrow(new RegExp(`Run ${id} is cancelled; a check compares finished runs`))
  })
})
