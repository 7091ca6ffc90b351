/**
 * The check every timed cascade run gets (outside the clock): a stop elsewhere than the rule says
 * counts as a mismatch unless a score sits on the threshold, and the logits it stopped with widen
 * that output's max abs difference against the unsplit model's.
 */
import { describe, expect, it } from 'vitest'
import { exitScore } from '../../../common/early-exit.js'
import { CascadeCheck } from '../../../devices/session/cascade-check.js'

// Two samples, 3 classes: sample 0 is sure at the exit, sample 1 is not.
const exit = new Float32Array([5, 0, 0, 0.1, 0, 0.05])
const final = new Float32Array([4, 1, 0, 0, 3, 0])
const sure = exitScore(exit, 0, 3, 'maxprob')
const unsure = exitScore(exit, 3, 3, 'maxprob')

describe('CascadeCheck', () => {
  it('counts stops the rule does not make, and none where it does', () => {
    const c = new CascadeCheck(['exit1', 'logits'], 'maxprob', 2)
    c.add(0, 2, [exit, final])
    const diff: Record<string, number> = {}
    const t = (sure + unsure) / 2
    c.check(0, t, 0, exit.subarray(0, 3), diff)
    c.check(1, t, -1, final.subarray(3, 6), diff)
    expect(c.mismatches).toBe(0)
    expect(diff).toEqual({ exit1: 0, logits: 0 })
    c.check(1, t, 0, exit.subarray(3, 6), diff) // stopped though unsure
    c.check(0, 1, 0, exit.subarray(0, 3), diff) // t = 1 never stops
    expect(c.mismatches).toBe(2)
  })

  it('does not count a score on the threshold (float32 may fall either way)', () => {
    const c = new CascadeCheck(['exit1', 'logits'], 'maxprob', 2)
    c.add(0, 2, [exit, final])
    c.check(1, unsure, -1, final.subarray(3, 6), {})
    c.check(1, unsure + 1e-7, 0, exit.subarray(3, 6), {})
    expect(c.mismatches).toBe(0)
  })

  it('widens the difference of the output it stopped at', () => {
    const c = new CascadeCheck(['exit1', 'logits'], 'maxprob', 2)
    c.add(0, 1, [exit.subarray(0, 3), final.subarray(0, 3)])
    c.add(1, 1, [exit.subarray(3, 6), final.subarray(3, 6)])
    const diff: Record<string, number> = {}
    c.check(1, 0.99, -1, [0, 3.5, 0], diff)
    expect(diff.logits).toBeCloseTo(0.5, 6)
    expect(diff.exit1).toBeUndefined()
  })
})
