/**
 * recommend over a real SQLite store of generated runs: its choice equals a brute force over the
 * full run records (store.listRuns + getModel — a different path from the light SQL query), and
 * the scope, dataset and memory rules hold.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Constraints } from '../../common/recommend.js'
import type { BenchResult, EvalResult, RunRecord } from '../../common/types.js'
import { recommendOn } from '../../main/recommend/recommend.js'
import { Store } from '../../main/store/store.js'
import { tempDir } from '../store/fixtures.js'
import { populate } from './synthetic-store.js'

let store: Store
let roots: number[]
const tmp = tempDir()
const host = () => ({ store, inspect: async () => Promise.reject(new Error('every generated model is inspected')) })

beforeAll(() => {
  store = Store.open(join(tmp.dir, 'studio.db'))
  roots = populate(store, { roots: 30, variantsPerRoot: 3, runs: 900, samplesPerBench: 40, seed: 11 })
})
afterAll(() => {
  store.close()
  tmp.cleanup()
})

/** The answer worked out from whole run records, with plain loops. */
function bruteForce(device: string, k: Constraints, dataset: string, scope?: Set<number>): number | null {
  const runs = store.listRuns({ deviceName: device, status: 'finished' }).filter((r) => !scope || scope.has(r.modelId))
  const bench = new Map<number, RunRecord>()
  const evals = new Map<number, RunRecord>()
  for (const r of runs) {
    if (r.kind === 'bench' && (!bench.has(r.modelId) || (bench.get(r.modelId) as RunRecord).id < r.id)) bench.set(r.modelId, r)
    if (r.kind === 'eval' && (r.result as EvalResult).dataset === dataset) {
      const held = evals.get(r.modelId)
      const [c, hc] = [(r.result as EvalResult).count, held ? (held.result as EvalResult).count : -1]
      if (!held || c > hc || (c === hc && r.id > held.id)) evals.set(r.modelId, r)
    }
  }
  let best: { id: number; top1: number; lat: number; size: number } | null = null
  for (const [id, b] of bench) {
    const e = evals.get(id)
    if (!e) continue
    const model = store.getModel(id)
    const insp = model?.inspect
    if (!insp) continue
    const br = b.result as BenchResult
    const lat = k.latencyStat === 'p90' ? br.latencyUs.p90 : br.latencyUs.p50
    const mem = br.memory.peakRssBytes ?? insp.peakActivationBytes + insp.weightsBytes
    const top1 = (e.result as EvalResult).top1
    if (k.maxLatencyUs !== undefined && lat > k.maxLatencyUs) continue
    if (k.maxSizeBytes !== undefined && insp.fileBytes > k.maxSizeBytes) continue
    if (k.maxMemoryBytes !== undefined && mem > k.maxMemoryBytes) continue
    if (k.minTop1 !== undefined && top1 < k.minTop1) continue
    const better =
      !best || top1 > best.top1 || (top1 === best.top1 && (lat < best.lat || (lat === best.lat && (insp.fileBytes < best.size || (insp.fileBytes === best.size && id < best.id)))))
    if (better) best = { id, top1, lat, size: insp.fileBytes }
  }
  return best?.id ?? null
}

const CONSTRAINTS: Constraints[] = [
  {},
  { maxLatencyUs: 5000 },
  { maxLatencyUs: 5000, latencyStat: 'p90' },
  { maxSizeBytes: 600_000, maxMemoryBytes: 20e6 },
  { maxMemoryBytes: 300_000 },
  { minTop1: 0.9, maxLatencyUs: 12_000 },
  { maxLatencyUs: 60 },
]

describe('recommend on a store of 900 generated runs', () => {
  it('chooses what a brute force over the whole run records chooses, on every device', async () => {
    for (const device of ['local', 'pi4', 'mcu']) {
      for (const k of CONSTRAINTS) {
        const rec = await recommendOn(host(), { device, constraints: k, dataset: 'fashion-mnist' })
        expect(rec.choice?.modelId ?? null, `${device} ${JSON.stringify(k)}`).toBe(bruteForce(device, k, 'fashion-mnist'))
      }
    }
  })

  it('scopes to the named originals and their variants', async () => {
    const some = roots.slice(0, 5)
    const scope = new Set(store.withDescendants(some))
    expect(scope.size).toBe(5 * 4)
    const rec = await recommendOn(host(), { device: 'local', constraints: { maxLatencyUs: 8000 }, dataset: 'fashion-mnist', rootIds: some })
    expect(rec.choice?.modelId ?? null).toBe(bruteForce('local', { maxLatencyUs: 8000 }, 'fashion-mnist', scope))
    const all = [rec.choice, ...rec.alternatives, ...rec.rejected].filter((x) => x !== null)
    for (const m of all) expect(scope.has(m.modelId)).toBe(true)
    // Scoped, the models without runs on the device are listed as unmeasured rather than left out.
    expect(rec.counts.candidates).toBe(scope.size)
  })

  it('memory is measured on Linux devices and an estimate on the serial board', async () => {
    const local = await recommendOn(host(), { device: 'local', constraints: {}, dataset: 'fashion-mnist' })
    expect(local.choice?.memorySource).toBe('measured')
    expect(local.choice?.memoryEstimate).toBe(false)
    const mcu = await recommendOn(host(), { device: 'mcu', constraints: {}, dataset: 'fashion-mnist' })
    expect(mcu.deviceKind).toBe('serial')
    expect(mcu.choice?.memorySource).toBe('estimate')
    const insp = store.getModel(mcu.choice?.modelId ?? 0)?.inspect
    expect(mcu.choice?.memoryBytes).toBe((insp?.peakActivationBytes ?? NaN) + (insp?.weightsBytes ?? NaN))
    expect(mcu.why.join(' ')).toMatch(/Memory is an estimate/)
  })

  it('refuses to mix datasets without --dataset, and refuses an unknown device', async () => {
    await expect(recommendOn(host(), { device: 'local', constraints: {} })).rejects.toThrow(/2 datasets \(.*fashion-mnist.*mnist.*\).*--dataset/)
    await expect(recommendOn(host(), { device: 'jetson', constraints: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const mnist = await recommendOn(host(), { device: 'local', constraints: {}, dataset: 'mnist' })
    expect(mnist.choice?.modelId ?? null).toBe(bruteForce('local', {}, 'mnist'))
  })
})
