/**
 * Early exit measured on this computer through the studio (real runner, real ORT, real SQLite):
 * the chain's decisions equal an independent evaluation of the unsplit model's outputs exactly,
 * latency comes from real control flow under the latency rules, and operating points become
 * variants on the Explore chart with the runs the sweep measured.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EarlyExitResult } from '../../common/early-exit.js'
import { StudioError } from '../../common/errors.js'
import { exportReport } from '../../main/api/report-export.js'
import { explorePoints } from '../../main/api/views.js'
import { runSpec } from '../../main/bench/run-spec.js'
import { Studio } from '../../main/studio.js'

const ROOT = resolve(import.meta.dirname, '../..')
const EE = join(ROOT, 'resources/models/resnet8-ee.onnx')
const BRANCHY = join(ROOT, 'test/fixtures/early-exit/branchy2.onnx')
const N = 300
const quick = { warmupRuns: 2, warmupMs: 10, minRuns: 30, minMs: 20, maxMs: 20_000 }

let dir: string
let studio: Studio

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-ee-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
})

afterAll(async () => {
  await studio.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The first n test images and labels, preprocessed as the zoo cards say (or plain [0, 1]). */
function testSet(n: number, card: boolean): { x: Float32Array; labels: number[] } {
  const data = join(ROOT, 'resources/datasets/fashion-mnist')
  const images = gunzipSync(readFileSync(join(data, 't10k-images-idx3-ubyte.gz'))).subarray(16, 16 + n * 784)
  const labels = Array.from(
    gunzipSync(readFileSync(join(data, 't10k-labels-idx1-ubyte.gz'))).subarray(8, 8 + n),
  )
  const x = Float32Array.from(images, (p) => (card ? (p / 255 - 0.286) / 0.353 : p / 255))
  return { x, labels }
}

/** Independent of common/early-exit.ts: max softmax in float64, the first confident exit wins. */
function expected(
  outs: Float32Array[],
  final: Float32Array,
  labels: number[],
  t: number,
): { top1: number; rates: number[] } {
  const n = labels.length
  const rates = outs.map(() => 0)
  let right = 0
  const argmax = (a: Float32Array, i: number): number => {
    let b = 0
    for (let c = 1; c < 10; c++) if ((a[i * 10 + c] as number) > (a[i * 10 + b] as number)) b = c
    return b
  }
  for (let i = 0; i < n; i++) {
    let from = final
    for (let k = 0; k < outs.length; k++) {
      const row = Array.from((outs[k] as Float32Array).subarray(i * 10, i * 10 + 10))
      const m = Math.max(...row)
      const p = 1 / row.reduce((s, z) => s + Math.exp(z - m), 0)
      if (t < 1 && p >= t) {
        from = outs[k] as Float32Array
        rates[k] = (rates[k] as number) + 1
        break
      }
    }
    if (argmax(from, i) === labels[i]) right++
  }
  return { top1: right / n, rates: rates.map((r) => r / n) }
}

async function unsplit(path: string, x: Float32Array, outputs: string[]): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 })
  const r = await s.run({ input: new ort.Tensor('float32', x, [x.length / 784, 1, 28, 28]) }, outputs)
  await s.release()
  return outputs.map((o) => r[o]?.data as Float32Array)
}

describe('early exit on the local device', { timeout: 300_000 }, () => {
  let r: EarlyExitResult
  const thresholds = [0, 0.5, 0.8, 0.95, 1]

  beforeAll(async () => {
    const model = await studio.importModel(EE)
    r = await studio.earlyExit({
      modelId: model.id,
      deviceName: 'local',
      limit: N,
      thresholds,
      latency: quick,
    })
  })

  it('top-1 and exit rate at every threshold equal an evaluation of the unsplit model’s two outputs', async () => {
    const { x, labels } = testSet(N, true)
    const [exit1, logits] = await unsplit(EE, x, ['exit1', 'logits'])
    expect(r.verify.samples).toBe(N)
    for (const d of Object.values(r.verify.maxAbsDiff)) expect(d).toBeLessThanOrEqual(1e-5)
    expect(r.points.map((p) => p.threshold)).toEqual(thresholds)
    for (const p of r.points) {
      const want = expected([exit1 as Float32Array], logits as Float32Array, labels, p.threshold)
      expect(p.top1, `t=${p.threshold}`).toBe(want.top1)
      expect(p.exitRate, `t=${p.threshold}`).toBe(want.rates[0])
      expect(p.exitRates).toEqual({ exit1: want.rates[0] })
    }
  })

  it('t = 1 never exits and is the full model; t = 0 always exits; MACs follow p·exit + (1 − p)·full', () => {
    const t1 = r.points.at(-1)
    const t0 = r.points[0]
    expect(t1).toMatchObject({
      threshold: 1,
      exitRate: 0,
      top1: r.fullTop1,
      avgMacs: r.fullMacs,
      timedExitRate: 0,
    })
    expect(t0).toMatchObject({
      threshold: 0,
      exitRate: 1,
      top1: r.exits[0]?.top1,
      avgMacs: r.exits[0]?.macs,
      timedExitRate: 1,
    })
    for (const p of r.points) {
      const macs = p.exitRate * (r.exits[0]?.macs as number) + (1 - p.exitRate) * r.fullMacs
      expect(p.avgMacs).toBeCloseTo(macs, 3)
    }
  })

  it('times every threshold and the unsplit model under the latency rules', () => {
    expect(r.full.timedCount).toBeGreaterThanOrEqual(quick.minRuns)
    for (const p of r.points) {
      expect(p.timedCount).toBeGreaterThanOrEqual(quick.minRuns)
      expect(p.latencyUs.p50).toBeGreaterThan(0)
      expect(p.latencyUs.p90).toBeGreaterThanOrEqual(p.latencyUs.p50)
      expect(p.latencyUs.mean).toBeGreaterThan(0)
    }
    expect(r.syncRuns).toBe(true)
    expect(r.env.kind).toBe('local')
    expect(r.operatingPoint?.threshold).toBeDefined()
  })

  it('stores the sweep with its samples, and adds an operating point to Explore as a variant', async () => {
    const stored = studio.store.getEarlyExit(r.id as number)
    expect(stored?.result.points).toEqual(r.points)
    expect(stored?.samplesUs.map((s) => s.length)).toEqual([
      r.full.timedCount,
      ...r.points.map((p) => p.timedCount),
    ])
    expect(studio.store.listEarlyExits(r.modelId).map((s) => s.id)).toContain(r.id)

    const [variant] = await studio.addEarlyExitPoints(r.id as number, [0.8])
    const point = r.points[2]
    expect(variant).toMatchObject({ name: 'resnet8-ee @ t=0.8', parentId: r.modelId, kind: 'early-exit' })
    const runs = studio.store.listRuns({ modelId: variant?.id as number })
    expect(runs.map((x) => [x.kind, x.status]).sort()).toEqual([
      ['bench', 'finished'],
      ['eval', 'finished'],
    ])
    const bench = runs.find((x) => x.kind === 'bench')
    expect(studio.store.getSamples(bench?.id as number).length).toBe(point?.timedCount)
    const explore = explorePoints(studio.store.listRuns({ status: 'finished' }), (id) =>
      studio.store.getModel(id),
    )
    const onChart = explore.find((e) => e.modelId === variant?.id)
    expect(onChart).toMatchObject({
      variant: 'early-exit',
      top1: point?.top1,
      macs: Math.round(point?.avgMacs as number),
      count: N,
    })
    expect(onChart?.latencyP50Us).toBeCloseTo(point?.latencyUs.p50 as number, 0)

    // Its cost depends on the inputs: a plain benchmark of the operating point is refused.
    const run = await studio.runAndWait(
      runSpec({ kind: 'bench', modelId: variant?.id as number, deviceName: 'local' }),
    )
    expect(run.status).toBe('failed')
    expect(run.error).toMatch(/early-exit operating point/)
  })

  it('reports carry an Early exit section for the operating point’s parent sweep (HTML and JSON)', async () => {
    const variant = studio.store.listModels().find((m) => m.name === 'resnet8-ee @ t=0.8')
    const runIds = studio.store.listRuns({ modelId: variant?.id as number }).map((x) => x.id)
    const html = (await exportReport(studio, runIds, 'html')).content
    expect(html).toContain('<h2>Early exit</h2>')
    expect(html).toContain('<h3>resnet8-ee on local</h3>')
    expect(html.match(/<table class="early-exit">[\s\S]*?<\/table>/)?.[0].match(/<tr>/g)).toHaveLength(
      thresholds.length + 1,
    )
    const json = JSON.parse((await exportReport(studio, runIds, 'json')).content) as {
      earlyExit?: EarlyExitResult[]
    }
    expect(json.earlyExit?.map((x) => x.id)).toContain(r.id)
  })
})

describe('early exit: the entropy rule and cancelling', { timeout: 300_000 }, () => {
  it('entropy ≤ t: t = 0 never stops (the full model), t = 1 always stops at the exit', async () => {
    const model = await studio.importModel(EE)
    const r = await studio.earlyExit({
      modelId: model.id,
      deviceName: 'local',
      limit: 100,
      thresholds: [0, 0.2, 1],
      rule: 'entropy',
      latency: quick,
    })
    const [t0, mid, t1] = r.points
    expect(t0).toMatchObject({ exitRate: 0, top1: r.fullTop1, timedExitRate: 0 })
    expect(t1).toMatchObject({ exitRate: 1, top1: r.exits[0]?.top1, timedExitRate: 1 })
    expect(mid?.exitRate).toBeGreaterThan(0)
    expect(mid?.exitRate).toBeLessThan(1)
    expect(r.rule).toBe('entropy')
  })

  it('a cancel while the thresholds are timed ends with CANCELLED and stores nothing', async () => {
    const model = await studio.importModel(EE)
    const before = studio.store.listEarlyExits(model.id).length
    const controller = new AbortController()
    const slow = { ...quick, minRuns: 100_000, minMs: 60_000, maxMs: 120_000 }
    const run = studio.earlyExit(
      { modelId: model.id, deviceName: 'local', limit: 50, thresholds: [0.5], latency: slow },
      { signal: controller.signal, onProgress: (p) => p.phase === 'latency' && controller.abort() },
    )
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(studio.store.listEarlyExits(model.id)).toHaveLength(before)
    // The device still works afterwards.
    const again = await studio.earlyExit({
      modelId: model.id,
      deviceName: 'local',
      limit: 20,
      thresholds: [1],
      latency: quick,
    })
    expect(again.points[0]?.exitRate).toBe(0)
  })
})

describe('early exit with two exits (branchy2, a PyTorch export)', { timeout: 300_000 }, () => {
  it('cascades: each sample stops at its first confident exit, as the unsplit outputs say', async () => {
    const model = await studio.importModel(BRANCHY)
    const thresholds = [0.24, 0.56, 0.6]
    const r = await studio.earlyExit({
      modelId: model.id,
      deviceName: 'local',
      limit: 200,
      thresholds,
      latency: quick,
      dataset: 'fashion-mnist',
    })
    expect(r.exits.map((e) => e.name)).toEqual(['exit_a', 'exit_b'])
    const { x, labels } = testSet(200, false)
    const [a, b, logits] = await unsplit(BRANCHY, x, ['exit_a', 'exit_b', 'logits'])
    for (const p of r.points) {
      const want = expected(
        [a as Float32Array, b as Float32Array],
        logits as Float32Array,
        labels,
        p.threshold,
      )
      expect(p.top1).toBe(want.top1)
      expect(p.exitRates).toEqual({ exit_a: want.rates[0], exit_b: want.rates[1] })
    }
    // Both exits take samples somewhere in the sweep, and the last threshold lets everything through.
    const [low, mid, high] = r.points
    expect([low?.exitRates.exit_a, low?.exitRates.exit_b].every((x) => (x as number) > 0)).toBe(true)
    expect(mid?.exitRates.exit_a).toBe(0)
    expect(mid?.exitRates.exit_b).toBeGreaterThan(0)
    expect(high?.exitRate).toBe(0)
  })

  it('refuses bad settings before measuring anything', async () => {
    const model = await studio.importModel(BRANCHY)
    const fail = async (p: Promise<unknown>): Promise<StudioError> => {
      try {
        await p
      } catch (e) {
        return e as StudioError
      }
      throw new Error('expected a failure')
    }
    const range = await fail(
      studio.earlyExit({ modelId: model.id, deviceName: 'local', thresholds: [0.5, 2] }),
    )
    expect([range.code, range.message]).toEqual([
      'BAD_INPUT',
      expect.stringMatching(/Threshold 2 is outside \[0, 1\]/),
    ])
    const exit = await fail(studio.earlyExit({ modelId: model.id, deviceName: 'local', exits: ['nope'] }))
    expect(exit.code).toBe('BAD_INPUT')
    studio.store.upsertDevice({ name: 'nucleo', kind: 'serial', config: { path: '/dev/null' } })
    const serial = await fail(studio.earlyExit({ modelId: model.id, deviceName: 'nucleo' }))
    expect(serial.code).toBe('BAD_INPUT')
    expect(serial.message).toMatch(/firmware's own logic/)
  })
})
