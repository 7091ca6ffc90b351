/**
 * The run orchestrator with the real store (SQLite file) and the real local device.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS, type BenchResult, type Progress } from '../../common/types.js'
import { Studio } from '../../main/studio.js'

const model = resolve(import.meta.dirname, '../../resources/models/resnet8.onnx')
const quick = { warmupRuns: 2, warmupMs: 10, minRuns: 30, minMs: 100, maxMs: 10_000, profile: false }
let studio: Studio

beforeAll(() => {
  studio = Studio.open({ dbPath: join(mkdtempSync(join(tmpdir(), 'edgebench-orch-')), 'studio.db') })
})
afterAll(async () => {
  await studio.close()
})

describe('orchestrator', () => {
  it('runs a bench, streams throttled progress, persists samples and the result', async () => {
    const m = await studio.importModel(model)
    const progress: { t: number; p: Progress }[] = []
    studio.runs.on('progress', (_id, p) => progress.push({ t: Date.now(), p }))
    const pushed: { t: number; offset: number; samples: number[] }[] = []
    studio.runs.on('samples', (_id, offset, samples) => pushed.push({ t: Date.now(), offset, samples }))
    const run = await studio.runAndWait({
      kind: 'bench',
      modelId: m.id,
      deviceName: 'local',
      session: DEFAULT_SESSION_OPTIONS,
      latency: { ...quick, minMs: 1500 },
    })
    expect(run.status).toBe('finished')
    const r = run.result as BenchResult
    expect(r.latencyUs.count).toBeGreaterThanOrEqual(30)
    expect(studio.store.getSamples(run.id).length).toBe(r.latencyUs.count)
    expect(progress.at(-1)?.p.fraction).toBe(1)
    // Every stored sample was pushed once, in order, in batches that follow each other.
    expect(pushed.flatMap((b) => b.samples)).toEqual(Array.from(studio.store.getSamples(run.id)))
    pushed.forEach((b, i) => expect(b.offset).toBe(i === 0 ? 0 : pushed[i - 1]!.offset + pushed[i - 1]!.samples.length))
    for (let i = 10; i < pushed.length; i++) expect(pushed[i]!.t - pushed[i - 10]!.t).toBeGreaterThanOrEqual(900)
    // ≤ 10 events a second: any 11 consecutive events span at least ~1 s.
    for (let i = 10; i < progress.length; i++) {
      expect(progress[i]!.t - progress[i - 10]!.t).toBeGreaterThanOrEqual(900)
    }
  })

  it('runs one run at a time per device, in order', async () => {
    const m = await studio.importModel(model)
    const spec = {
      kind: 'bench' as const,
      modelId: m.id,
      deviceName: 'local',
      session: DEFAULT_SESSION_OPTIONS,
      latency: quick,
    }
    const a = studio.startRun(spec)
    const b = studio.startRun(spec)
    expect(studio.store.getRun(b)?.status).toBe('queued')
    const [ra, rb] = await Promise.all([studio.runs.wait(a), studio.runs.wait(b)])
    expect(ra.status).toBe('finished')
    expect(rb.status).toBe('finished')
    expect(Date.parse(rb.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(ra.finishedAt ?? ''))
  })

  it('cancels a running run and a queued one; samples measured so far are kept', async () => {
    const m = await studio.importModel(model)
    const long = {
      kind: 'bench' as const,
      modelId: m.id,
      deviceName: 'local',
      session: DEFAULT_SESSION_OPTIONS,
      latency: { ...quick, minMs: 60_000, maxMs: 60_000 },
    }
    const running = studio.startRun(long)
    const queued = studio.startRun(long)
    await new Promise<void>((done) => {
      const check = (): void => {
        if (studio.store.getSamples(running).length > 0) done()
        else setTimeout(check, 100)
      }
      check()
    })
    studio.runs.cancel(queued)
    studio.runs.cancel(running)
    const [r1, r2] = await Promise.all([studio.runs.wait(running), studio.runs.wait(queued)])
    expect(r1.status).toBe('cancelled')
    expect(r2.status).toBe('cancelled')
    expect(studio.store.getSamples(running).length).toBeGreaterThan(0)
    expect(r1.error).toMatch(/CANCELLED/)
  })
})
