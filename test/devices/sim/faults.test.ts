import { describe, expect, it } from 'vitest'
import { FaultPlan, parseFault } from '../../../devices/sim/faults.js'

describe('simulator fault specs', () => {
  it('parses kind@command#n, #n defaulting to 1', () => {
    expect(parseFault('reset@infer#2')).toEqual({ kind: 'reset', command: 'infer', nth: 2 })
    expect(parseFault('drop@db')).toEqual({ kind: 'drop', command: 'db', nth: 1 })
  })

  it('refuses unknown kinds and commands with a message listing the valid ones', () => {
    expect(() => parseFault('explode@infer')).toThrow(/kind one of garbage, drop, reset, error, stuck-clock, backwards-clock/)
    expect(() => parseFault('drop@flash')).toThrow(/command one of/)
    expect(() => parseFault('drop@db#0')).toThrow(/counts from 1/)
  })

  it('fires each fault once, on the n-th command of its name', () => {
    const plan = new FaultPlan([parseFault('drop@db#2'), parseFault('error@any#5')])
    const fired = ['name', 'db', 'db', 'db', 'infer', 'db'].map((c) => plan.next(c))
    expect(fired).toEqual([null, null, 'drop', null, 'error', null])
  })
})
