/** The early-exit rule, the cascade and the sweep's figures (docs/measurement.md § Early exit). */
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_THRESHOLDS,
  checkThresholds,
  decisions,
  exitScore,
  operatingPoint,
  stops,
  sweepPoints,
} from '../../common/early-exit.js'

const softmax = (z: number[]): number[] => {
  const m = Math.max(...z)
  const e = z.map((v) => Math.exp(v - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / s)
}

describe('early-exit rule', () => {
  it('max softmax and normalised entropy match their definitions, also for huge logits', () => {
    const z = [2, -1, 0.5, 3]
    const p = softmax(z)
    expect(exitScore(z, 0, 4, 'maxprob')).toBeCloseTo(Math.max(...p), 12)
    const h = -p.reduce((s, x) => s + x * Math.log(x), 0) / Math.log(4)
    expect(exitScore(z, 0, 4, 'entropy')).toBeCloseTo(h, 12)
    expect(exitScore([1, 1, 1, 1], 0, 4, 'entropy')).toBeCloseTo(1, 12)
    expect(exitScore([1000, 0, -1000], 0, 3, 'maxprob')).toBe(1)
    expect(exitScore([1000, 0, -1000], 0, 3, 'entropy')).toBeCloseTo(0, 12)
    // An offset reads the right row.
    expect(exitScore([9, 9, ...z], 2, 4, 'maxprob')).toBe(exitScore(z, 0, 4, 'maxprob'))
  })

  it('t = 1 never stops under maxprob and t = 0 never under entropy, even at certainty', () => {
    expect(stops(1, 1, 'maxprob')).toBe(false)
    expect(stops(0.999, 0.99, 'maxprob')).toBe(true)
    expect(stops(0, 0, 'entropy')).toBe(false)
    expect(stops(0.2, 0.3, 'entropy')).toBe(true)
    expect(stops(0.4, 0.3, 'entropy')).toBe(false)
    expect(stops(0.1, 0, 'maxprob')).toBe(true)
  })

  it('rejects thresholds outside [0, 1], no thresholds and unknown rules, naming the problem', () => {
    expect(() => checkThresholds([0.5, 1.5], 'maxprob')).toThrow(/1\.5 is outside \[0, 1\]/)
    expect(() => checkThresholds([-0.1], 'maxprob')).toThrow(/-0\.1/)
    expect(() => checkThresholds([Number.NaN], 'maxprob')).toThrow(/NaN/)
    expect(() => checkThresholds([], 'maxprob')).toThrow(/at least one/)
    expect(() => checkThresholds([0.5], 'margin')).toThrow(/Unknown exit rule 'margin'/)
    expect(() => checkThresholds([...DEFAULT_THRESHOLDS], 'entropy')).not.toThrow()
    expect(DEFAULT_THRESHOLDS).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1])
  })
})

describe('threshold sweep', () => {
  // Three samples, two exits, two classes. Sample 0 is sure at exit A, sample 1 only at exit B,
  // sample 2 nowhere. Labels: 0, 1, 1.
  const exitA = [5, 0, 0, 0.1, 0, 0.2]
  const exitB = [0, 1, -4, 4, 0.3, 0]
  const final = [0, 3, 0, 2, 0, 2]
  const input = {
    exits: [
      { name: 'a', macs: 10 },
      { name: 'b', macs: 40 },
    ],
    fullMacs: 100,
    classes: 2,
    labels: [0, 1, 1],
    exitScores: [exitA, exitB],
    finalScores: final,
    thresholds: [0.9, 1],
    rule: 'maxprob' as const,
  }

  it('stops each sample at the first confident exit (a cascade)', () => {
    expect(Array.from(decisions(input, 3, 0.9))).toEqual([0, 1, -1])
    expect(Array.from(decisions(input, 3, 1))).toEqual([-1, -1, -1])
    expect(Array.from(decisions(input, 3, 0))).toEqual([0, 0, 0])
  })

  it('counts top-1, exit rates and p·MACs(exit) + (1 − p)·MACs(full) per threshold', () => {
    const [t9, t1] = sweepPoints(input)
    // Sample 0: exit a says class 0 (right). Sample 1: exit b says 1 (right). Sample 2: final says 1 (right).
    expect(t9).toMatchObject({ threshold: 0.9, top1: 1, exitRate: 2 / 3, exitRates: { a: 1 / 3, b: 1 / 3 } })
    expect(t9?.avgMacs).toBeCloseTo((10 + 40 + 100) / 3, 12)
    expect(t9?.confusion).toEqual([
      [1, 0],
      [0, 2],
    ])
    // t = 1: the full model: final says 1, 1, 1.
    expect(t1).toMatchObject({
      threshold: 1,
      top1: 2 / 3,
      exitRate: 0,
      exitRates: { a: 0, b: 0 },
      avgMacs: 100,
    })
  })

  it('refuses scores that do not cover every sample', () => {
    expect(() => sweepPoints({ ...input, finalScores: [0, 1] })).toThrow(/rows of 2 classes/)
  })

  it('picks the cheapest threshold within one point of the full model', () => {
    const points = [
      { threshold: 0.5, top1: 0.88, avgMacs: 40 },
      { threshold: 0.7, top1: 0.91, avgMacs: 52 },
      { threshold: 0.9, top1: 0.915, avgMacs: 65 },
      { threshold: 1, top1: 0.918, avgMacs: 100 },
    ]
    expect(operatingPoint(points, 0.918)?.threshold).toBe(0.7)
    expect(operatingPoint(points, 0.918, 0.003)?.threshold).toBe(0.9)
    expect(operatingPoint(points.slice(0, 1), 0.95)).toBeNull()
  })
})
