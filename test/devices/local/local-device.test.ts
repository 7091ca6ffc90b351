import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { StudioError } from '../../../common/errors.js'
import { DEFAULT_SESSION_OPTIONS, type LatencySpec, type Progress } from '../../../common/types.js'
import type { Batch, Deployment } from '../../../devices/device.js'
import { LocalDevice } from '../../../devices/local/local-device.js'
import { TINY_MODEL, argmaxRows, batchesOf, fashionImages, isAlive, modelNodeNames } from './helpers.js'

const SMALL: LatencySpec = {
  warmupRuns: 3,
  warmupMs: 20,
  minRuns: 20,
  minMs: 50,
  maxMs: 10_000,
  profile: false,
}
/** Long enough that the run is surely still going when the test interferes with it. */
const LONG: LatencySpec = { ...SMALL, minMs: 60_000, maxMs: 60_000 }
const model = { name: 'tiny-cnn', path: TINY_MODEL }

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError)
    return (e as StudioError).code
  }
  return 'resolved'
}

// Each test forks one or two runners (Node + tsx + ORT); on a machine that is also training
// networks a start can take many seconds, so allow far more than the default.
describe('LocalDevice', { timeout: 300_000 }, () => {
  const device = new LocalDevice()
  afterAll(() => device.close())

  it('probes this computer with sane facts', async () => {
    const info = await device.probe()
    expect(info.kind).toBe('local')
    expect(info.cores).toBeGreaterThanOrEqual(1)
    expect(info.ramBytes).toBeGreaterThan(256 * 2 ** 20)
    expect(info.cpuModel.length).toBeGreaterThan(0)
    expect(info.runtime).toBe('onnxruntime-node')
    expect(info.runtimeVersion).toMatch(/^1\.\d+\.\d+/)
    expect(info.arch).toBe(process.arch)
    expect(info.nodeVersion).toBe(process.versions.node)
    if (process.platform === 'linux') expect(info.loadAverage).toHaveLength(3)
  })

  it('prepares a model and reports its inputs, outputs and session cost', async () => {
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    expect(dep.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(dep.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: ['batch', 1, 28, 28] }])
    expect(dep.outputs[0]?.shape).toEqual(['batch', 10])
    expect(dep.session).toEqual(DEFAULT_SESSION_OPTIONS)
    expect(dep.sessionCreateMs).toBeGreaterThan(0)
    expect(dep.sessionRssBytes).toBeGreaterThan(0)
  })

  it('benchmarks: enough samples, streamed in chunks, with progress and memory', async () => {
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    const chunks: number[][] = []
    const progress: Progress[] = []
    const r = await device.benchmark(dep, SMALL, {
      onSamples: (c) => chunks.push(c),
      onProgress: (p) => progress.push(p),
    })
    expect(r.samplesUs.length).toBeGreaterThanOrEqual(SMALL.minRuns)
    expect(chunks.flat()).toEqual(r.samplesUs)
    expect(r.samplesUs.every((s) => s > 0 && s < 1e6)).toBe(true)
    expect(r.firstInferenceUs).toBeGreaterThan(0)
    expect(r.sessionCreateMs).toBeGreaterThan(0)
    expect(r.memory.peakRssBytes).toBeGreaterThan(0)
    expect(r.memory.sessionRssBytes).toBeGreaterThan(0)
    expect(r.profile).toBeUndefined()
    const phases = progress.map((p) => p.phase)
    expect(phases).toContain('latency')
    expect(phases.indexOf('latency')).toBeGreaterThan(phases.lastIndexOf('warmup'))
    expect(phases.at(-1)).toBe('done')
    const fractions = progress.map((p) => p.fraction)
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions)
  })

  it('profiles per node, slowest first, with names from the model', async () => {
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    const phases = new Set<string>()
    const r = await device.benchmark(
      dep,
      { ...SMALL, profile: true },
      { onProgress: (p) => phases.add(p.phase) },
    )
    expect(phases).toContain('profile')
    const prof = r.profile ?? []
    expect(prof.length).toBeGreaterThan(3)
    expect(prof.map((p) => p.us)).toEqual([...prof.map((p) => p.us)].sort((a, b) => b - a))
    // ORT renames nodes it fuses; the ones it keeps carry the model's own names.
    const names = new Set(modelNodeNames(TINY_MODEL))
    expect(prof.filter((p) => names.has(p.name)).length).toBeGreaterThanOrEqual(2)
    expect(prof.map((p) => p.op)).toContain('Conv')
  })

  it('evaluates batches in dataset order, exactly as ORT does in-process', async () => {
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    const images = fashionImages(300)
    const progress: Progress[] = []
    const pred = await device.evaluate(dep, batchesOf(images, 64), 300, {
      onProgress: (p) => progress.push(p),
    })
    expect(pred.count).toBe(300)
    expect(pred.classes).toBe(10)
    expect(pred.inferSeconds).toBeGreaterThan(0)
    expect(progress.at(-1)).toMatchObject({ phase: 'accuracy', done: 300, fraction: 1 })

    const session = await ort.InferenceSession.create(TINY_MODEL, {
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    })
    const ref = await session.run({ input: new ort.Tensor('float32', images, [300, 1, 28, 28]) })
    const refScores = ref.logits?.data as Float32Array
    await session.release()
    expect(argmaxRows(pred.scores, 10)).toEqual(argmaxRows(refScores, 10))
    for (let i = 0; i < refScores.length; i += 97)
      expect(pred.scores[i]).toBeCloseTo(refScores[i] as number, 4)
  })

  it('reports a broken model file as MODEL_INVALID and keeps working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgebench-local-'))
    const bad = join(dir, 'broken.onnx')
    writeFileSync(bad, 'this is not a protobuf')
    await expect(
      device.prepare({ name: 'broken', path: bad }, DEFAULT_SESSION_OPTIONS),
    ).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('broken.onnx'),
    })
    expect(
      await codeOf(
        device.prepare({ name: 'gone', path: join(dir, 'missing.onnx') }, DEFAULT_SESSION_OPTIONS),
      ),
    ).toBe('FILE_NOT_FOUND')
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    expect((await device.benchmark(dep, SMALL)).samplesUs.length).toBeGreaterThanOrEqual(SMALL.minRuns)
  })

  it('refuses an execution provider this build does not bundle, naming the ones it does', async () => {
    const err = device.prepare(model, { ...DEFAULT_SESSION_OPTIONS, executionProvider: 'cuda' })
    await expect(err).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('cpu') })
  })

  it('turns a runner killed from outside into DEVICE_ERROR, and recovers on the next call', async () => {
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    const [pid] = device.runnerPids()
    expect(pid).toBeDefined()
    let killed = false
    const run = device.benchmark(dep, LONG, {
      onSamples: () => {
        if (!killed) process.kill(pid as number, 'SIGKILL')
        killed = true
      },
    })
    await expect(run).rejects.toMatchObject({
      code: 'DEVICE_ERROR',
      message: expect.stringContaining('SIGKILL'),
    })
    const again = await device.benchmark(dep, SMALL)
    expect(again.samplesUs.length).toBeGreaterThanOrEqual(SMALL.minRuns)
  })

  it('cancels a running benchmark: CANCELLED, and the runner process is gone', async () => {
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    const [pid] = device.runnerPids()
    const ac = new AbortController()
    const run = device.benchmark(dep, LONG, { signal: ac.signal, onSamples: () => ac.abort() })
    expect(await codeOf(run)).toBe('CANCELLED')
    expect(isAlive(pid as number)).toBe(false)
    expect(device.runnerPids()).not.toContain(pid)
  })

  it('cancels an evaluation: CANCELLED, the runner is stopped, the device still works', async () => {
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    const [pid] = device.runnerPids()
    const ac = new AbortController()
    const images = fashionImages(2000)
    async function* endless(): AsyncGenerator<Batch> {
      for (;;) yield* batchesOf(images, 100)
    }
    const run = device.evaluate(dep, endless(), 1_000_000, {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done >= 200) ac.abort()
      },
    })
    expect(await codeOf(run)).toBe('CANCELLED')
    expect(isAlive(pid as number)).toBe(false)
    const pred = await device.evaluate(dep, batchesOf(images.subarray(0, 784 * 10), 4), 10)
    expect(pred.count).toBe(10)
  })

  it('a cancel between two batches (nothing in flight) also stops the runner', async () => {
    const dep = await device.prepare(model, DEFAULT_SESSION_OPTIONS)
    const [pid] = device.runnerPids()
    const ac = new AbortController()
    const images = fashionImages(200)
    async function* thenCancel(): AsyncGenerator<Batch> {
      yield* batchesOf(images, 100)
      // Both batches have been answered by now; the cancel lands while the runner is idle.
      await new Promise((r) => setTimeout(r, 500))
      ac.abort()
      yield* batchesOf(images, 100)
    }
    expect(await codeOf(device.evaluate(dep, thenCancel(), 400, { signal: ac.signal }))).toBe('CANCELLED')
    expect(isAlive(pid as number)).toBe(false)
  })

  it('keeps at most four idle runners alive, dropping the least recently used', async () => {
    const deps = []
    for (const threads of [1, 2, 3, 4, 5])
      deps.push(await device.prepare(model, { ...DEFAULT_SESSION_OPTIONS, threads }))
    expect(device.runnerPids().length).toBeLessThanOrEqual(4)
    // The evicted deployment still works: a new runner is started for it.
    const pred = await device.evaluate(deps[0] as Deployment, batchesOf(fashionImages(8), 4), 8)
    expect(pred.count).toBe(8)
    expect(device.runnerPids().length).toBeLessThanOrEqual(4)
  })
})
