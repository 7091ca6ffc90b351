import { describe, expect, it } from 'vitest'
import { makeRng } from '../../common/stats.js'
import { brokenConstraints, recommend, type Candidate, type Constraints } from '../../common/recommend.js'

function generate(n: number, seed: number): Candidate[] {
  const rnd = makeRng(seed)
  const maybe = <T>(v: T, pNull: number): T | null => (rnd() < pNull ? null : v)
  return Array.from({ length: n }, (_, i) => {
    const p50 = 50 + rnd() * 20_000
    const source = rnd() < 0.3 ? 'estimate' : 'measured'
    return {
      modelId: i + 1,
      modelName: `m${i % 17}`,
      family: null,
      variant: ['fp32', 'fp16', 'int8', 'pruned'][i % 4] ?? 'fp32',
      parentId: null,
      // Accuracies from a finite grid, so ties on top-1 happen and the tie-breaks are exercised.
      top1: maybe(Math.round((0.5 + rnd() * 0.45) * 200) / 200, 0.08),
      evalCount: 10_000,
      dataset: 'fashion-mnist',
      latencyP50Us: maybe(p50, 0.08),
      latencyP90Us: p50 * (1 + rnd() * 0.5),
      sizeBytes: maybe(Math.round(20_000 + rnd() * 2_000_000), 0.02),
      memoryBytes: maybe(Math.round(10_000 + rnd() * 4_000_000), 0.05),
      memorySource: source,
      benchRunId: 2 * i + 1,
      evalRunId: 2 * i + 2,
    } satisfies Candidate
  })
}

/** Written independently of recommend(): plain comparisons, no shared helpers. */
function bruteForce(cands: Candidate[], k: Constraints): Candidate | null {
  const lat = (c: Candidate): number | null => (k.latencyStat === 'p90' ? c.latencyP90Us : c.latencyP50Us)
  const ok = cands.filter((c) => {
    if (c.top1 === null || lat(c) === null) return false
    if (k.maxLatencyUs !== undefined && (lat(c) as number) > k.maxLatencyUs) return false
    if (k.maxSizeBytes !== undefined && (c.sizeBytes === null || c.sizeBytes > k.maxSizeBytes)) return false
    if (k.maxMemoryBytes !== undefined && (c.memoryBytes === null || c.memoryBytes > k.maxMemoryBytes)) return false
    if (k.minTop1 !== undefined && c.top1 < k.minTop1) return false
    return true
  })
  let best: Candidate | null = null
  for (const c of ok) {
    if (best === null) {
      best = c
      continue
    }
    const [ct, bt] = [c.top1 as number, best.top1 as number]
    const [cl, bl] = [lat(c) as number, lat(best) as number]
    const [cs, bs] = [c.sizeBytes ?? Infinity, best.sizeBytes ?? Infinity]
    const better = ct !== bt ? ct > bt : cl !== bl ? cl < bl : cs !== bs ? cs < bs : c.modelId < best.modelId
    if (better) best = c
  }
  return best
}

function randomConstraints(seed: number): Constraints {
  const rnd = makeRng(seed)
  const k: Constraints = { latencyStat: rnd() < 0.3 ? 'p90' : 'p50' }
  if (rnd() < 0.8) k.maxLatencyUs = 100 + rnd() * 10_000
  if (rnd() < 0.5) k.maxSizeBytes = 50_000 + rnd() * 1_000_000
  if (rnd() < 0.5) k.maxMemoryBytes = 50_000 + rnd() * 2_000_000
  if (rnd() < 0.5) k.minTop1 = 0.5 + rnd() * 0.4
  return k
}

describe('recommend (pure ranking)', () => {
  it('chooses what a brute force over the candidates chooses, for 300 generated stores', () => {
    let withChoice = 0
    for (let s = 1; s <= 300; s++) {
      const cands = generate(40 + (s % 200), s)
      const k = randomConstraints(1000 + s)
      const rec = recommend('dev', cands, k)
      const expected = bruteForce(cands, k)
      expect(rec.choice?.modelId ?? null, `store ${s}`).toBe(expected?.modelId ?? null)
      if (expected) withChoice++
      // Everything ranked lands in exactly one bucket.
      expect(rec.counts.meeting + rec.counts.rejected + rec.counts.unmeasured).toBe(cands.length)
    }
    // The generator covers both outcomes.
    expect(withChoice).toBeGreaterThan(50)
    expect(withChoice).toBeLessThan(300)
  })

  it('alternatives are the next best that meet every constraint, in order', () => {
    const cands = generate(300, 9)
    const k: Constraints = { maxLatencyUs: 8000 }
    const rec = recommend('dev', cands, k, { alternatives: 4 })
    const rest = cands.filter((c) => c.modelId !== rec.choice?.modelId)
    const next = bruteForce(rest, k)
    expect(rec.alternatives[0]?.modelId).toBe(next?.modelId)
    expect(rec.alternatives).toHaveLength(4)
    for (const a of rec.alternatives) {
      expect(a.latencyUs).toBeLessThanOrEqual(8000)
      expect(a.top1).toBeLessThanOrEqual(rec.choice?.top1 ?? 0)
    }
  })

  it('says which constraint each rejected candidate broke and by how much', () => {
    const base: Candidate = {
      modelId: 1,
      modelName: 'mobilenetv2',
      family: null,
      variant: 'fp32',
      parentId: null,
      top1: 0.9,
      evalCount: 10_000,
      dataset: 'fashion-mnist',
      latencyP50Us: 6200,
      latencyP90Us: 7000,
      sizeBytes: 300 * 1024,
      memoryBytes: 100 * 1024,
      memorySource: 'estimate',
      benchRunId: 11,
      evalRunId: 12,
    }
    const small: Candidate = { ...base, modelId: 2, modelName: 'resnet8', top1: 0.88, latencyP50Us: 3000, sizeBytes: 200 * 1024 }
    const k: Constraints = { maxLatencyUs: 5000, maxSizeBytes: 256 * 1024, maxMemoryBytes: 128 * 1024 }
    const rec = recommend('pi4', [base, small], k)
    expect(rec.choice?.modelName).toBe('resnet8')
    expect(rec.choice?.runIds).toEqual([11, 12])
    expect(rec.choice?.memoryEstimate).toBe(true)
    const broken = rec.rejected[0]?.brokenConstraints ?? []
    expect(broken.map((b) => b.constraint)).toEqual(['latency', 'size'])
    expect(broken[0]?.excess).toBe(1200)
    expect(broken[0]?.text).toBe('latency p50 6.20 ms > 5.00 ms (+24.0 %)')
    expect(broken[1]?.text).toBe('size 300 KiB > 256 KiB (+17.2 %)')
    expect(rec.why.join(' ')).toMatch(/median \(p50\)/)
    expect(rec.why.join(' ')).toMatch(/Memory is an estimate/)
    expect(rec.why.join(' ')).toMatch(/mobilenetv2 \(fp32\) at 90.00 %: latency p50/)

    // p90 on request: resnet8's p90 (7 ms) now breaks the limit too.
    const p90 = recommend('pi4', [base, small], { ...k, latencyStat: 'p90' })
    expect(p90.choice).toBeNull()
    expect(p90.rejected[0]?.brokenConstraints[0]?.text).toMatch(/^latency p90 7.00 ms > 5.00 ms/)
  })

  it('with nothing meeting the constraints, lists the closest misses first', () => {
    const cands = generate(200, 3)
    const rec = recommend('dev', cands, { maxLatencyUs: 1, minTop1: 0.99 })
    expect(rec.choice).toBeNull()
    expect(rec.rejected.length).toBe(5)
    const worst = (r: (typeof rec.rejected)[number]): number => Math.max(...r.brokenConstraints.map((b) => b.relative))
    for (let i = 1; i < rec.rejected.length; i++) {
      const [a, b] = [rec.rejected[i - 1], rec.rejected[i]]
      if (!a || !b) continue
      expect(a.brokenConstraints.length).toBeLessThanOrEqual(b.brokenConstraints.length)
      if (a.brokenConstraints.length === b.brokenConstraints.length) expect(worst(a)).toBeLessThanOrEqual(worst(b))
    }
    expect(rec.rejected[0]?.brokenConstraints[0]?.text).toMatch(/\(\d+(\.\d)?× the limit\)$/)
    expect(rec.why[0]).toMatch(/None of the \d+ measured variant\(s\) on dev meets latency p50 ≤ 1.00 µs, top-1 ≥ 99.00 %/)
  })

  it('lists unmeasured candidates instead of ranking them, and needs the figure a constraint reads', () => {
    const [a, b] = generate(2, 5)
    if (!a || !b) throw new Error('gen')
    const noEval = { ...a, top1: null, evalRunId: null }
    const noMem = { ...b, top1: 0.9, latencyP50Us: 100, memoryBytes: null }
    const rec = recommend('dev', [noEval, noMem], { maxMemoryBytes: 1e9 })
    expect(rec.choice).toBeNull()
    expect(rec.unmeasured.map((u) => u.missing)).toEqual([['memory'], ['accuracy']])
    expect(recommend('dev', [noMem], {}).choice?.modelId).toBe(noMem.modelId)
    expect(brokenConstraints(noMem, { minTop1: 0.95 })[0]?.text).toBe('top-1 90.00 % < 95.00 % (−5.00 pt)')
  })
})
