/**
 * Injected faults over a real pty: each ends in a recovered run or a clear error, never a hang
 * (every wait on the host has a timeout; every test here has a bound). And a board unplugged in
 * the middle of an accuracy run keeps the predictions received, with their partial accuracy.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_LATENCY_SPEC,
  DEFAULT_SESSION_OPTIONS,
  type EvalResult,
  type PreprocessSpec,
} from '../../../common/types.js'
import { resolveDataset } from '../../../main/data/datasets.js'
import { evaluateWithScores } from '../../../main/data/evaluate.js'
import { addSerialDevice, boardModelFor } from '../../../main/serial-setup.js'
import { RESNET8, simBoard, SOCAT } from './helpers.js'

const CARD = JSON.parse(readFileSync(RESNET8.replace(/\.onnx$/, '.json'), 'utf8')) as {
  preprocessing: PreprocessSpec
}
const MODEL = { name: 'resnet8', path: RESNET8 }

async function accuracyWith(
  faults: string[],
  samples = 6,
): Promise<{ top1: number; transcript: Record<string, unknown> }> {
  const board = await simBoard({ faults })
  try {
    const device = board.device()
    const dep = await device.prepare(MODEL, DEFAULT_SESSION_OPTIONS)
    const dataset = await resolveDataset('fashion-mnist', { split: 'test' })
    const r = await evaluateWithScores(device, dep, dataset, CARD.preprocessing, { limit: samples })
    const info = await device.probe()
    return { top1: r.result.top1, transcript: info.extra?.transcript as Record<string, unknown> }
  } finally {
    await board.close()
  }
}

describe.skipIf(!SOCAT)('injected faults', () => {
  it('recovers from garbage bytes glued before replies', async () => {
    const r = await accuracyWith(['garbage@name#1', 'garbage@db#3', 'garbage@infer#2'])
    expect(r.top1).toBeGreaterThan(0.5)
    expect(r.transcript.noiseLines).toBe(0)
  }, 60_000)

  it('recovers from a dropped m-ready (timeout, flush, resync, retry)', async () => {
    const r = await accuracyWith(['drop@db#5', 'drop@infer#3'])
    expect(r.top1).toBeGreaterThan(0.5)
    expect(r.transcript.timeouts).toBe(2)
    expect(r.transcript.resyncs).toBe(2)
  }, 60_000)

  it('recovers from a reset in the middle of infer (boot banner again)', async () => {
    const r = await accuracyWith(['reset@infer#2'])
    expect(r.top1).toBeGreaterThan(0.5)
    expect(r.transcript.resets).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it('recovers in performance mode from a reset during a window', async () => {
    const board = await simBoard({ usPerInference: 1000, faults: ['reset@infer#4'] })
    try {
      const device = board.device({ windowSeconds: 0.1 })
      const raw = await device.benchmark(
        await device.prepare(MODEL, DEFAULT_SESSION_OPTIONS),
        DEFAULT_LATENCY_SPEC,
      )
      expect(raw.samplesUs).toHaveLength(5)
    } finally {
      await board.close()
    }
  }, 60_000)

  it('refuses a window whose timer is stuck or runs backwards: a clear error, never a 0 µs result', async () => {
    for (const [fault, why] of [
      ['stuck-clock@infer#4', /Window 2 is invalid\. .*both timestamps read \d+ µs: the board's microsecond timer did not advance/],
      ['backwards-clock@infer#3', /Window 1 is invalid\. .*the timer went backwards/],
    ] as const) {
      const board = await simBoard({ usPerInference: 1000, faults: [fault] })
      try {
        const device = board.device({ windowSeconds: 0.1 })
        const dep = await device.prepare(MODEL, DEFAULT_SESSION_OPTIONS)
        const e = await device.benchmark(dep, DEFAULT_LATENCY_SPEC).then(
          () => null,
          (err: unknown) => err as Error & { code?: string },
        )
        expect(e?.code, fault).toBe('DEVICE_ERROR')
        expect(e?.message).toMatch(why)
        expect(e?.message).not.toContain('\n')
      } finally {
        await board.close()
      }
    }
  }, 60_000)

  it('stops with the firmware message on an e-[…] reply', async () => {
    await expect(accuracyWith(['error@infer#2'])).rejects.toThrow(
      /answered infer 1 0% with an error: e-\[Simulated fault in infer\]/,
    )
  }, 60_000)

  it('gives up with a clear timeout when the same step fails twice', async () => {
    await expect(accuracyWith(['drop@infer#2', 'drop@infer#3'])).rejects.toThrow(
      /Sample 1 failed twice: No m-ready from .* while waiting for the reply to infer 1 0%.*wrong baud rate/,
    )
  }, 60_000)

  it('says what to check when nothing answers at all (wrong port, wrong baud)', async () => {
    const board = await simBoard()
    try {
      await board.sim.stop()
      const err = await board
        .device()
        .probe()
        .catch((e: unknown) => e)
      expect(String(err)).toMatch(/No m-ready|closed/)
      expect(String(err)).toMatch(/wrong baud rate|unplugged/)
    } finally {
      await board.close()
    }
  }, 60_000)
})

describe.skipIf(!SOCAT)('board unplugged during accuracy mode', () => {
  it('keeps the predictions received and shows their accuracy as a partial result', async () => {
    const board = await simBoard({ usPerInference: 4000 })
    try {
      const studio = board.studio()
      const added = await addSerialDevice(studio, {
        name: 'sim',
        path: board.pty.host,
        model: RESNET8,
        dataset: 'fashion-mnist',
      })
      expect(added.probeError).toBeNull()
      await studio.devices.drop('sim')
      const model = await boardModelFor(studio, 'sim')
      const id = studio.startRun({
        kind: 'eval',
        modelId: model.id,
        deviceName: 'sim',
        session: DEFAULT_SESSION_OPTIONS,
        limit: 1000,
      })
      let pulled = false
      studio.runs.on('progress', (runId, p) => {
        if (runId === id && p.done >= 40 && !pulled) {
          pulled = true
          void board.pty.close() // the USB cable: both pty ends vanish
        }
      })
      // Bounded: a run that never ends fails here with what was seen, not as a bare test timeout.
      let seen = 0
      studio.runs.on('progress', (runId, p) => {
        if (runId === id) seen = p.done
      })
      const run = await Promise.race([
        studio.runs.wait(id),
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`run still active after 60 s: pulled=${pulled}, last progress ${seen}`)),
            60_000,
          ),
        ),
      ])
      expect(pulled).toBe(true)
      expect(run.status).toBe('interrupted')
      expect(run.error?.code).toBe('DEVICE_UNREACHABLE')
      expect(run.error?.message).toMatch(
        /Kept \d+ of 1,000 predictions \(top-1 [\d.]+ % so far\)/,
      )
      const stored = studio.store.getPredictions(id)
      expect(stored.indices.length).toBeGreaterThanOrEqual(40)
      expect(stored.indices).toEqual(Array.from({ length: stored.indices.length }, (_, i) => i))
      const partial = run.result as EvalResult
      expect(partial.count).toBe(stored.indices.length)
      expect(partial.partialOf).toBe(1000)
      expect(partial.top1).toBeGreaterThan(0.5)
    } finally {
      await board.close()
    }
  }, 90_000)
})
