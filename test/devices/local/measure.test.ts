import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS } from '../../../common/types.js'
import {
  MeasureError,
  bundledExecutionProviders,
  createSession,
  f16ToF32,
  f32ToF16,
  makeFeeds,
  measureLatency,
  readPeakRssBytes,
} from '../../../devices/local/measure.js'
import { parseProfile, profileNodes } from '../../../devices/local/measure-profile.js'
import { TINY_MODEL } from './helpers.js'

describe('measure (the ORT-only timed loop the SSH agent reuses)', () => {
  let session: ort.InferenceSession
  beforeAll(async () => {
    session = (await createSession(TINY_MODEL, DEFAULT_SESSION_OPTIONS)).session
  })
  afterAll(() => session.release())

  it('makes the same batch-1 inputs every time (fixed seed, symbolic dims → 1)', () => {
    const a = makeFeeds(session)
    const b = makeFeeds(session)
    expect(a.input?.dims).toEqual([1, 1, 28, 28])
    expect(a.input?.data).toEqual(b.input?.data)
  })

  it('runs warm-up then at least minRuns samples, streamed in chunks that add up', async () => {
    const chunks: number[][] = []
    const phases: string[] = []
    const r = await measureLatency(
      session,
      makeFeeds(session),
      { warmupRuns: 5, warmupMs: 0, minRuns: 250, minMs: 0, maxMs: 60_000 },
      { onSamples: (c) => chunks.push(c), onProgress: (p) => phases.push(p) },
    )
    expect(r.warmupRuns).toBeGreaterThanOrEqual(5)
    expect(r.samplesUs.length).toBeGreaterThanOrEqual(250)
    expect(chunks.flat()).toEqual(r.samplesUs)
    expect(chunks.every((c) => c.length <= 100)).toBe(true)
    expect(phases[0]).toBe('warmup')
    expect(phases.at(-1)).toBe('latency')
  })

  it('stops early when asked, keeping the samples so far', async () => {
    let n = 0
    const r = await measureLatency(
      session,
      makeFeeds(session),
      { warmupRuns: 0, warmupMs: 0, minRuns: 1_000_000, minMs: 0, maxMs: 600_000 },
      { shouldStop: () => ++n > 30 },
    )
    expect(r.samplesUs.length).toBeGreaterThan(0)
    expect(r.samplesUs.length).toBeLessThan(40)
  })

  it('names the bundled execution providers when asked for another', async () => {
    expect(bundledExecutionProviders()).toContain('cpu')
    const err = await createSession(TINY_MODEL, {
      ...DEFAULT_SESSION_OPTIONS,
      executionProvider: 'tensorrt',
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MeasureError)
    expect((err as MeasureError).kind).toBe('bad-input')
    expect((err as MeasureError).message).toContain('cpu')
  })

  it('reads a positive peak RSS', () => {
    expect(readPeakRssBytes()).toBeGreaterThan(10 * 2 ** 20)
  })

  it('converts float16 both ways', () => {
    for (const v of [0, 1, -2.5, 0.1, 65504, 6e-8, 1e-3]) expect(f16ToF32(f32ToF16(v))).toBeCloseTo(v, 2)
    expect(f32ToF16(1)).toBe(0x3c00)
    expect(f16ToF32(0x7c00)).toBe(Number.POSITIVE_INFINITY)
  })

  it('profiles a real session and deletes the trace file', async () => {
    const prof = await profileNodes(TINY_MODEL, DEFAULT_SESSION_OPTIONS, (s) => makeFeeds(s), {
      runs: 10,
      warmupRuns: 2,
    })
    expect(prof.length).toBeGreaterThan(3)
    expect(prof.every((p) => p.us >= 0 && p.op.length > 0)).toBe(true)
  })
})

describe('parseProfile', () => {
  const ev = (name: string, op: string, dur: number): object => ({
    cat: 'Node',
    name: `${name}_kernel_time`,
    dur,
    args: { op_name: op },
  })

  it('takes the per-node median after skipping warm-up runs, slowest first', () => {
    const trace = [
      { cat: 'Session', name: 'model_loading_uri', dur: 9999 },
      ev('conv1', 'Conv', 500),
      ev('relu1', 'Relu', 900),
      ev('conv1', 'Conv', 10),
      ev('relu1', 'Relu', 2),
      ev('conv1', 'Conv', 14),
      ev('relu1', 'Relu', 4),
      ev('conv1', 'Conv', 12),
      ev('relu1', 'Relu', 3),
      { cat: 'Node', name: 'conv1_fence_before', dur: 1, args: { op_name: 'Conv' } },
    ]
    expect(parseProfile(trace, 1)).toEqual([
      { name: 'conv1', op: 'Conv', us: 12 },
      { name: 'relu1', op: 'Relu', us: 3 },
    ])
  })

  it('rejects something that is not a trace', () => {
    expect(() => parseProfile({ traceEvents: [] })).toThrow(/trace/)
  })
})
