/**
 * Recommendations through the shared API handlers on a real Studio (temp database, the zoo's
 * resnet8, the real local device): the query, "fill the gaps" as a job with progress (only what
 * is missing runs; a second fill has nothing to do), cancel, and bad requests refused up front.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiEventMessage, FilledRecommendation, JobFinished, RecommendRequest } from '../../common/api.js'
import { createHandlers, type ApiHandlers } from '../../main/api/handlers.js'
import { Studio } from '../../main/studio.js'
import { value, error } from './result.js'

const QUICK = { minRuns: 20, minMs: 100, warmupRuns: 2, warmupMs: 20, maxMs: 20_000 }

let dir: string
let studio: Studio
let api: ApiHandlers
const events: ApiEventMessage[] = []

function finished(jobId: number): Promise<JobFinished> {
  const seen = events.find((e) => e.event === 'job:finished' && e.payload.jobId === jobId)
  if (seen?.event === 'job:finished') return Promise.resolve(seen.payload)
  return new Promise((done) => {
    const off = api.subscribe((m) => {
      if (m.event === 'job:finished' && m.payload.jobId === jobId) {
        off()
        done(m.payload)
      }
    })
  })
}

async function fill(req: RecommendRequest): Promise<FilledRecommendation> {
  const { jobId } = value(await api.invoke('recommend:fill', req))
  const end = await finished(jobId)
  if (!end.ok) throw new Error(`${end.error.code}: ${end.error.message}`)
  if (end.kind !== 'fill') throw new Error(`a ${end.kind} job`)
  return end.value
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-recommend-api-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  api = createHandlers(studio, { mode: 'browser' })
  api.subscribe((m) => events.push(m))
})

afterAll(async () => {
  api?.dispose()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

const request = (extra: Partial<RecommendRequest> = {}): RecommendRequest => ({
  device: 'local',
  constraints: { maxLatencyUs: 1e6 },
  models: ['resnet8'],
  fill: { grid: ['fp16', 'int8-dynamic'], limit: 100, latency: QUICK },
  ...extra,
})

describe('recommend over the API', () => {
  it('refuses bad requests before anything runs', async () => {
    expect(error(await api.call('recommend:query', { device: 'local', constraints: { minTop1: 2 } })).code).toBe('BAD_INPUT')
    expect(error(await api.call('recommend:query', { device: 'local', constraints: {}, typo: 1 })).code).toBe('BAD_INPUT')
    expect(error(await api.call('recommend:query', { device: 'pi9', constraints: {} })).message).toMatch(/No device named 'pi9'/)
    expect(error(await api.call('recommend:query', { device: 'local', constraints: {}, models: ['nosuchnet'] })).code).toBe('NOT_FOUND')
    expect(error(await api.call('recommend:fill', request({ device: 'pi9' }))).code).toBe('NOT_FOUND')
    const grid = error(await api.call('recommend:fill', request({ fill: { grid: ['int4'] } })))
    expect(grid.code).toBe('BAD_INPUT')
    expect(grid.message).toMatch(/Unknown sweep variant\(s\) int4; choose from fp16, int8-dynamic/)
    expect(events.some((e) => e.event === 'job:progress')).toBe(false)
  })

  it('with nothing measured, lists the candidates as unmeasured and suggests --fill', async () => {
    const r = value(await api.invoke('recommend:query', { device: 'local', constraints: {}, models: ['resnet8'] }))
    expect(r.choice).toBeNull()
    // resnet8 and the zoo's variant of it (resnet8-s50-ft, fine-tuned after pruning): a scope holds an
    // original with all its variants.
    expect(r.unmeasured.map((u) => u.modelName).sort()).toEqual(['resnet8', 'resnet8-s50-ft'])
    expect(r.unmeasured[0]?.missing).toEqual(['latency', 'accuracy'])
    expect(r.why.join(' ')).toMatch(/--fill/)
  })

  it('fills the gaps (the grid variants, a bench and an eval of each) with progress, then recommends', async () => {
    const r = await fill(request())
    expect(r.fill).toMatchObject({ derived: 2, runs: 8, steps: 10, dataset: 'fashion-mnist', failed: [] })
    const names = [r.choice, ...r.alternatives, ...r.rejected].map((m) => m?.modelName).sort()
    expect(names).toEqual(['resnet8', 'resnet8-fp16', 'resnet8-int8-dynamic', 'resnet8-s50-ft'])
    expect(r.choice?.runIds).toHaveLength(2)
    expect(r.choice?.evalCount).toBe(100)
    const progress = events.flatMap((e) => (e.event === 'job:progress' && e.payload.kind === 'fill' ? [e.payload.progress] : []))
    expect(progress.length).toBeGreaterThan(3)
    expect(progress.some((p) => p.phase === 'derive')).toBe(true)
    expect(progress.some((p) => p.phase === 'latency' || p.phase === 'accuracy')).toBe(true)
    for (let i = 1; i < progress.length; i++) expect(progress[i]?.done).toBeGreaterThanOrEqual(progress[i - 1]?.done ?? 0)
    // The query alone now answers the same from the stored runs.
    const q = value(await api.invoke('recommend:query', request()))
    expect(q.choice?.modelId).toBe(r.choice?.modelId)
  })

  it('a second fill finds nothing missing and measures nothing', async () => {
    const runsBefore = studio.store.listRuns().length
    const r = await fill(request())
    expect(r.fill).toMatchObject({ derived: 0, runs: 0, steps: 0 })
    expect(studio.store.listRuns().length).toBe(runsBefore)
  })

  it('cancel stops the fill; what it measured stays', async () => {
    const { jobId } = value(await api.invoke('recommend:fill', request({ models: ['condensenext'], fill: { grid: ['fp16'], limit: 100, latency: { ...QUICK, minMs: 3000 } } })))
    await new Promise<void>((go) => {
      const off = api.subscribe((m) => {
        if (m.event === 'job:progress' && m.payload.jobId === jobId && m.payload.progress.phase === 'latency') {
          off()
          go()
        }
      })
    })
    expect(value(await api.invoke('jobs:cancel', { jobId })).cancelled).toBe(true)
    const end = await finished(jobId)
    expect(end.ok).toBe(false)
    if (!end.ok) expect(end.error.code).toBe('CANCELLED')
    const cancelled = studio.store.listRuns({ status: 'cancelled' })
    expect(cancelled.length).toBeGreaterThanOrEqual(1)
    expect(studio.store.listRuns({ status: 'running' })).toEqual([])
  })
})
