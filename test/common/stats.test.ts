import { describe, expect, it } from 'vitest'
import {
  bootstrapMedianCI,
  compareSamples,
  makeRng,
  median,
  noiseWarnings,
  outlierIndices,
  quantileSorted,
  summarize,
} from '../../common/stats.js'

function normalSamples(n: number, mean: number, sd: number, seed: number): number[] {
  const rng = makeRng(seed)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const u = Math.max(rng(), 1e-12)
    const v = rng()
    out.push(mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v))
  }
  return out
}

describe('latency statistics', () => {
  it('percentiles interpolate between ranks', () => {
    const s = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(quantileSorted(s, 0.5)).toBe(5.5)
    expect(quantileSorted(s, 0.9)).toBeCloseTo(9.1)
    expect(quantileSorted(s, 0)).toBe(1)
    expect(quantileSorted(s, 1)).toBe(10)
  })

  it('summarizes known samples exactly', () => {
    const st = summarize([10, 20, 30, 40, 50])
    expect(st.p50).toBe(30)
    expect(st.mean).toBe(30)
    expect(st.min).toBe(10)
    expect(st.max).toBe(50)
    expect(st.std).toBeCloseTo(Math.sqrt(250))
    expect(st.cv).toBeCloseTo(Math.sqrt(250) / 30)
    expect(st.count).toBe(5)
  })

  it('flags slow outliers by the modified z-score and keeps them', () => {
    const values = [...normalSamples(200, 100, 2, 3), 500, 600]
    const idx = outlierIndices(values)
    expect(idx).toContain(200)
    expect(idx).toContain(201)
    const st = summarize(values)
    expect(st.count).toBe(202)
    expect(st.max).toBe(600)
    expect(st.outliers).toBe(idx.length)
  })

  it('flags nothing when every sample is equal (MAD = 0)', () => {
    expect(outlierIndices([5, 5, 5, 5])).toEqual([])
  })

  it('bootstrap CI of the median brackets the median and narrows with more samples', () => {
    const small = normalSamples(50, 100, 10, 1)
    const large = normalSamples(2000, 100, 10, 2)
    const [lo1, hi1] = bootstrapMedianCI(small)
    const [lo2, hi2] = bootstrapMedianCI(large)
    expect(lo1).toBeLessThanOrEqual(median(small))
    expect(hi1).toBeGreaterThanOrEqual(median(small))
    expect(hi2 - lo2).toBeLessThan(hi1 - lo1)
    expect(lo2).toBeGreaterThan(98)
    expect(hi2).toBeLessThan(102)
  })

  it('is reproducible: the same samples give the same CI', () => {
    const v = normalSamples(300, 50, 5, 9)
    expect(bootstrapMedianCI(v)).toEqual(bootstrapMedianCI(v))
  })
})

describe('comparing two runs', () => {
  it('says faster, slower or within noise against a 2 % threshold', () => {
    const base = normalSamples(300, 100, 2, 4)
    expect(compareSamples(base, normalSamples(300, 80, 2, 5)).verdict).toBe('faster')
    expect(compareSamples(base, normalSamples(300, 120, 2, 6)).verdict).toBe('slower')
    expect(compareSamples(base, normalSamples(300, 100.5, 2, 7)).verdict).toBe('within noise')
    const c = compareSamples(base, normalSamples(300, 80, 2, 5))
    expect(c.ratio).toBeCloseTo(0.8, 1)
    expect(c.ci95[0]).toBeLessThan(c.ratio)
    expect(c.ci95[1]).toBeGreaterThan(c.ratio)
  })
})

describe('noise warnings', () => {
  const quiet = summarize(normalSamples(300, 100, 1, 8))
  it('are empty for a quiet run on an idle performance-governed machine', () => {
    expect(
      noiseWarnings({
        stats: quiet,
        firstInferenceUs: 300,
        loadAverage: [0.1],
        cores: 2,
        governor: 'performance',
      }),
    ).toEqual([])
  })
  it('name each cause', () => {
    const noisy = summarize(normalSamples(300, 100, 30, 8))
    const w = noiseWarnings({
      stats: noisy,
      firstInferenceUs: 5000,
      loadAverage: [3.5],
      cores: 2,
      governor: 'powersave',
    })
    expect(w.join('\n')).toMatch(/CV/)
    expect(w.join('\n')).toMatch(/first inference/)
    expect(w.join('\n')).toMatch(/load average/)
    expect(w.join('\n')).toMatch(/powersave/)
  })
})
