import { describe, expect, it } from 'vitest'
import { abRounds, formatDiffPct, formatRatio, interleave, ratioOf } from '../../tools/bench/ab.js'

describe('interleaved A/B rounds (tools/bench/ab.ts)', () => {
  it('alternates which arm goes first and pairs figures by round', async () => {
    const order: string[] = []
    const r = await abRounds({
      rounds: 4,
      a: async (i) => {
        order.push(`a${i}`)
        return 100
      },
      b: async (i) => {
        order.push(`b${i}`)
        return [110, 90, 105, 300][i] ?? 0
      },
    })
    expect(order).toEqual(['a0', 'b0', 'b1', 'a1', 'a2', 'b2', 'b3', 'a3'])
    expect(r.ratios).toEqual([1.1, 0.9, 1.05, 3])
    // The median of per-round ratios: one wild round does not move it as a pooled mean would.
    expect(r.ratio).toBeCloseTo(1.075, 10)
    expect(r.spread).toEqual([0.9, 3])
    expect(formatRatio(r, 2)).toBe('1.08× (0.90–3.00, 4 rounds)')
    expect(formatDiffPct(r)).toBe('+7.5 % (−10.0 … +200.0 %, 4 rounds)')
  })

  it('cancels drift that a pooled comparison would mistake for a difference', async () => {
    // The machine slows down 1 %/round; B costs exactly what A costs in the same round.
    let clock = 0
    const load = (): number => 100 * (1 + 0.01 * clock++)
    const r = await abRounds({ rounds: 5, a: async () => load(), b: async () => load() })
    expect(Math.abs(r.ratio - 1)).toBeLessThan(0.011)
    expect(r.ratios.length).toBe(5)
  })

  it('rotates three arms and skips rounds whose baseline is zero', async () => {
    const seen: string[] = []
    const arm = (name: string, v: number) => async (): Promise<number> => {
      seen.push(name)
      return v
    }
    const f = await interleave({ rounds: 3, arms: { x: arm('x', 2), y: arm('y', 4), z: arm('z', 6) } })
    expect(seen).toEqual(['x', 'y', 'z', 'y', 'z', 'x', 'z', 'x', 'y'])
    expect(ratioOf(f.x, f.z).ratio).toBe(3)
    expect(ratioOf([0, 2], [1, 3]).rounds).toBe(1)
    expect(() => ratioOf([1], [1, 2])).toThrow(/length/)
  })
})
