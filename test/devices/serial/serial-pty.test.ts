/**
 * The serial device over a real pty pair (socat) with the simulator on the far end: identification,
 * performance mode against a simulated 2,000 µs inference (across the 32-bit clock wrap), and
 * accuracy mode equal to ONNX Runtime's on the same samples.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_LATENCY_SPEC, DEFAULT_SESSION_OPTIONS, type PreprocessSpec } from '../../../common/types.js'
import { resolveDataset } from '../../../main/data/datasets.js'
import { evaluateWithScores } from '../../../main/data/evaluate.js'
import { OrtTestDevice } from '../../data/ort-device.js'
import { RESNET8, simBoard, SOCAT, type SimBoard } from './helpers.js'

const CARD = JSON.parse(readFileSync(RESNET8.replace(/\.onnx$/, '.json'), 'utf8')) as {
  preprocessing: PreprocessSpec
}
const MODEL = { name: 'resnet8', path: RESNET8 }

function argmax(scores: Float32Array, classes: number, i: number): number {
  let best = 0
  for (let c = 1; c < classes; c++)
    if ((scores[i * classes + c] as number) > (scores[i * classes + best] as number)) best = c
  return best
}

describe.skipIf(!SOCAT)('serial device over a pty, simulator throttled to 2,000 µs', () => {
  let board: SimBoard
  beforeAll(async () => {
    // The board's counter starts 4 s before its 32-bit wrap, so the 1 s windows cross it.
    board = await simBoard({
      usPerInference: 2000,
      name: 'Sim MCU',
      modelId: 'fmnist01',
      clockStartUs: 2 ** 32 - 4_000_000,
    })
  }, 60_000)
  afterAll(async () => board?.close(), 30_000)

  it('identifies the board: name, model id, performance-mode banner', async () => {
    const device = board.device()
    const info = await device.probe()
    // One connection per port: a second opener is told the port is held by another program.
    await expect(board.device().probe()).rejects.toThrow(/held by another program/)
    await device.close()
    expect(info.kind).toBe('serial')
    expect(info.cpuModel).toBe('Sim MCU')
    expect(info.extra?.modelId).toBe('fmnist01')
    expect(info.extra?.board).toBe('Sim MCU')
  }, 30_000)

  it('reports 2,000 µs per inference within 0.5 % (median of 5 windows, board clock)', async () => {
    // 1 s windows: a stall of this shared machine's scheduler at a window's end weighs < 0.5 %.
    const device = board.device({ windowSeconds: 1 })
    const dep = await device.prepare(MODEL, DEFAULT_SESSION_OPTIONS)
    const persisted: number[] = []
    const fractions: number[] = []
    const raw = await device.benchmark(dep, DEFAULT_LATENCY_SPEC, {
      onSamples: (c) => persisted.push(...c),
      onProgress: (p) => fractions.push(p.fraction),
    })
    expect(fractions.at(-1)).toBe(1)
    for (let i = 1; i < fractions.length; i++)
      expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1] as number)
    expect(raw.samplesUs).toHaveLength(5)
    expect(persisted).toEqual(raw.samplesUs)
    // The reported figure is the median window; one window may catch this shared machine's
    // scheduler stalling the simulator, which a board would not see.
    const sorted = [...raw.samplesUs].sort((a, b) => a - b)
    expect(Math.abs((sorted[2] as number) - 2000) / 2000).toBeLessThan(0.005)
    for (const us of raw.samplesUs) expect(Math.abs(us - 2000) / 2000).toBeLessThan(0.1)
    const windows = raw.extra?.windows as { n: number; elapsedUs: number }[]
    expect(windows).toHaveLength(5)
    // Each window lasts at least the configured 1 s on the board's clock, wrap or not.
    for (const w of windows) expect(w.elapsedUs).toBeGreaterThanOrEqual(1_000_000)
    expect(raw.memory.peakRssBytes).toBeNull()
    // The counter wrapped during the run: the last lap reads below where the counter started.
    const tail = (raw.extra?.transcript as { tail: string[] }).tail
    const laps = tail.map((l) => /m-lap-us-(\d+)/.exec(l)?.[1]).filter((x) => x !== undefined)
    expect(Number(laps.at(-1))).toBeLessThan(2 ** 32 - 4_000_000)
  }, 60_000)
})

describe.skipIf(!SOCAT).each([
  { over: 'a pty pair relayed by socat', direct: false },
  { over: 'one pty whose master the simulator holds (socat nofork)', direct: true },
])('serial accuracy mode, simulator unthrottled, over $over', ({ direct }) => {
  let board: SimBoard
  beforeAll(async () => {
    board = await simBoard({ direct })
  }, 60_000)
  afterAll(async () => board?.close(), 30_000)

  it('gives the same predictions as ONNX Runtime on the same 200 samples', async () => {
    const dataset = await resolveDataset('fashion-mnist', { split: 'test' })
    const device = board.device()
    const dep = await device.prepare(MODEL, DEFAULT_SESSION_OPTIONS)
    const streamed: number[] = []
    const serial = await evaluateWithScores(device, dep, dataset, CARD.preprocessing, {
      limit: 200,
      onScores: (offset) => streamed.push(offset),
    })
    expect(streamed).toEqual(Array.from({ length: 200 }, (_, i) => i))

    const ort = new OrtTestDevice()
    try {
      const ref = await evaluateWithScores(
        ort,
        await ort.prepare(MODEL, DEFAULT_SESSION_OPTIONS),
        dataset,
        CARD.preprocessing,
        { limit: 200 },
      )
      expect(serial.result.count).toBe(200)
      expect(serial.result.top1).toBe(ref.result.top1)
      expect(serial.result.confusion).toEqual(ref.result.confusion)
      for (let i = 0; i < 200; i++) expect(argmax(serial.scores, 10, i)).toBe(argmax(ref.scores, 10, i))
      // 9 significant digits on the wire: the logits themselves agree to float32 precision.
      for (let i = 0; i < 50; i++) expect(serial.scores[i]).toBeCloseTo(ref.scores[i] as number, 4)
    } finally {
      await ort.close()
    }
  }, 120_000)
})
