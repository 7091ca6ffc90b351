import { describe, expect, it, vi } from 'vitest'
import { throttle } from '../../main/bench/throttle.js'

describe('progress throttle', () => {
  it('delivers at most 10 per second, the latest value wins, and flush delivers the last one', () => {
    vi.useFakeTimers()
    try {
      const got: number[] = []
      const t = throttle<number>(
        (v) => got.push(v),
        10,
        () => Date.now(),
      )
      for (let i = 0; i < 1000; i++) {
        t.push(i)
        vi.advanceTimersByTime(1) // 1000 updates over one second
      }
      t.flush()
      expect(got.length).toBeLessThanOrEqual(12)
      expect(got.length).toBeGreaterThanOrEqual(9)
      expect(got[got.length - 1]).toBe(999)
      for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!)
    } finally {
      vi.useRealTimers()
    }
  })
})
