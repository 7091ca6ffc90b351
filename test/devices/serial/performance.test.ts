import { describe, expect, it } from 'vitest'
import { LINE_TIMEOUT_US, planInferences } from '../../../devices/serial/performance.js'

describe('planInferences (MLPerf Tiny window rules)', () => {
  it('makes a window last at least the window length, with a little to spare', () => {
    const n = planInferences(2000, 10)
    expect(n * 2000).toBeGreaterThanOrEqual(10e6)
    expect(n * 2000).toBeLessThan(11e6)
  })

  it('never runs fewer than 10 inferences', () => {
    expect(planInferences(5e6, 10)).toBe(10)
  })

  it('stays under the 30 s line timeout when the model allows it', () => {
    const per = 2.5e6
    const n = planInferences(per, 25)
    expect(n * per).toBeLessThan(LINE_TIMEOUT_US)
    expect(n).toBeGreaterThanOrEqual(10)
  })
})
