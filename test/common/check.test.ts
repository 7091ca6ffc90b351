import { describe, expect, it } from 'vitest'
import { ratioFromCis, runCheck, type CheckSide } from '../../common/check.js'
import { bootstrapMedianCI, makeRng, median } from '../../common/stats.js'

/** Latency-like samples: a floor plus a long right tail, as a CPU benchmark gives. */
function samples(n: number, center: number, seed: number): Float64Array {
  const rnd = makeRng(seed)
  return Float64Array.from({ length: n }, () => center * (0.95 + 0.1 * rnd() + (rnd() < 0.05 ? rnd() : 0)))
}

function side(s: Float64Array | null, extra: Partial<CheckSide> = {}): CheckSide {
  return {
    source: 'test',
    model: 'm',
    device: 'local',
    latency: s ? { p50: median(s), ci95: bootstrapMedianCI(s), count: s.length, samplesUs: s } : null,
    top1: 0.9,
    evalCount: 10_000,
    dataset: 'fashion-mnist test',
    sizeBytes: 300_000,
    runIds: [1],
    ...extra,
  }
}

const LIMITS = { maxSlowdownPct: 5, maxAccuracyDropPt: 0.5, maxSizeGrowthPct: 0 }

describe('runCheck (the CI gate)', () => {
  it('a rerun of the same model passes; a clearly slower one fails, by the bootstrap CI of the ratio', () => {
    const base = side(samples(2000, 180, 1))
    const rerun = runCheck(base, side(samples(2000, 181, 2)), LIMITS)
    expect(rerun.ok).toBe(true)
    expect(rerun.items[0]).toMatchObject({ limit: 'latency', outcome: 'pass', method: 'bootstrap' })
    const slow = runCheck(base, side(samples(2000, 250, 3)), LIMITS)
    expect(slow.ok).toBe(false)
    expect(slow.items[0]?.outcome).toBe('fail')
    expect(slow.items[0]?.ci95?.[0]).toBeGreaterThan(1.05)
    expect(slow.items[0]?.text).toMatch(/^latency: slower by more than the 5 % allowed: p50 .* = 1\.3\d\d× \(95 % CI/)
  })

  it('a slowdown inside the allowed margin passes even when it is real', () => {
    const base = side(samples(3000, 180, 4))
    const r = runCheck(base, side(samples(3000, 186, 5)), LIMITS)
    expect(r.items[0]?.ratio).toBeGreaterThan(1.01)
    expect(r.items[0]?.outcome).toBe('pass')
    expect(runCheck(base, side(samples(3000, 186, 5)), { ...LIMITS, maxSlowdownPct: 0 }).items[0]?.outcome).toBe('fail')
  })

  it('without samples on one side, builds the CI from the two medians\' CIs and says so', () => {
    const s = samples(2000, 180, 6)
    const noSamples = side(null, { latency: { p50: median(s), ci95: bootstrapMedianCI(s), count: 2000 } })
    const r = runCheck(noSamples, side(samples(2000, 182, 7)), LIMITS)
    expect(r.items[0]?.method).toBe('from-ci')
    expect(r.items[0]?.outcome).toBe('pass')
    expect(r.notes.join(' ')).toMatch(/medians' CIs/)
    const { ratio, ci95 } = ratioFromCis({ p50: 100, ci95: [99, 101], count: 1 }, { p50: 120, ci95: [119, 121], count: 1 })
    expect(ratio).toBeCloseTo(1.2, 10)
    expect(ci95[0]).toBeGreaterThan(1.17)
    expect(ci95[1]).toBeLessThan(1.23)
  })

  it('accuracy drop and size growth against their limits; missing figures are skipped, not failed', () => {
    const s = samples(500, 100, 8)
    const base = side(s)
    const worse = runCheck(base, side(s, { top1: 0.893, sizeBytes: 300_001 }), LIMITS)
    expect(worse.items.map((i) => i.outcome)).toEqual(['pass', 'fail', 'fail'])
    expect(worse.items[1]?.text).toBe('accuracy: dropped more than the 0.5 pt allowed: top-1 89.30 % vs 90.00 % (−0.70 pt) on fashion-mnist test')
    expect(worse.items[2]?.text).toMatch(/^size: grew more than the 0 % allowed: .* \(\+0\.00 %, \+1 B\)$/)
    const ok = runCheck(base, side(s, { top1: 0.896, sizeBytes: 200_000 }), LIMITS)
    expect(ok.ok).toBe(true)
    const missing = runCheck(base, side(null, { top1: null, sizeBytes: null }), LIMITS)
    expect(missing.items.map((i) => i.outcome)).toEqual(['skip', 'skip', 'skip'])
    expect(missing.ok).toBe(true)
    expect(runCheck(base, side(s, { device: 'pi4' }), LIMITS).notes.join(' ')).toMatch(/two devices/)
  })
})
