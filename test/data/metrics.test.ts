import { describe, expect, it } from 'vitest'
import { isStudioError } from '../../common/errors.js'
import { accuracyMetrics, agreement } from '../../common/metrics.js'

// Six samples, 6 classes. Row i = scores of sample i.
const scores = Float32Array.from([
  // label 0, predicted 0 (top-1 hit)
  9, 1, 2, 3, 4, 5,
  // label 1, predicted 0; label 1 ranks 2nd → top-5 hit
  9, 8, 1, 1, 1, 1,
  // label 2, predicted 5; label 2 ranks last → top-5 miss
  5, 4, 0, 3, 2, 9,
  // label 2, predicted 2
  0, 0, 7, 0, 0, 0,
  // label 0, predicted 1
  1, 2, 0, 0, 0, 0,
  // label 3: every score ties; argmax is class 0, label 3 ranks 4th (ties rank lower index first)
  1, 1, 1, 1, 1, 1,
])
const labels = [0, 1, 2, 2, 0, 3]
const names = ['a', 'b', 'c', 'd', 'e', 'f']

describe('accuracyMetrics', () => {
  it('computes top-1, top-5, per-class accuracy and the confusion matrix exactly', () => {
    const m = accuracyMetrics(scores, 6, labels, names)
    expect(m.count).toBe(6)
    expect(m.top1).toBeCloseTo(2 / 6, 12)
    // hits: samples 0, 1, 3, 4 (label 0 ranks 2nd of 1, 2, 0, 0, 0, 0), 5 (rank 3) → 5 of 6
    expect(m.top5).toBeCloseTo(5 / 6, 12)
    expect(m.confusion).toEqual([
      [1, 1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
      [0, 0, 1, 0, 0, 1],
      [1, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ])
    expect(m.perClass).toEqual([
      { class: 'a', count: 2, top1: 0.5 },
      { class: 'b', count: 1, top1: 0 },
      { class: 'c', count: 2, top1: 0.5 },
      { class: 'd', count: 1, top1: 0 },
      { class: 'e', count: 0, top1: 0 },
      { class: 'f', count: 0, top1: 0 },
    ])
  })

  it('counts every sample as a top-5 hit when there are fewer than 5 classes', () => {
    const m = accuracyMetrics(Float32Array.from([0, 1, 2, 3, 3, 2, 1, 0]), 4, [0, 1], ['w', 'x', 'y', 'z'])
    expect(m.top1).toBe(0)
    expect(m.top5).toBe(1)
  })

  it('rejects a label outside the model classes with DATASET_MISMATCH', () => {
    let err: unknown
    try {
      accuracyMetrics(Float32Array.from([1, 0]), 2, [2], ['x', 'y'])
    } catch (e) {
      err = e
    }
    expect(isStudioError(err) && err.code).toBe('DATASET_MISMATCH')
  })

  it('rejects scores that are not whole rows', () => {
    expect(() => accuracyMetrics(Float32Array.from([1, 2, 3]), 2, [0], ['x', 'y'])).toThrow(
      /whole number of rows/,
    )
  })
})

describe('agreement', () => {
  it('gives the top-1 agreement rate and the mean cosine of logits rows', () => {
    const a = Float32Array.from([1, 0, 0, /**/ 0, 1, 0, /**/ 3, 4, 0, /**/ 0, 0, 0])
    const b = Float32Array.from([2, 0, 0, /**/ 1, 0, 0, /**/ 4, 3, 0, /**/ 0, 0, 0])
    const g = agreement(a, b, 3)
    // argmax: 0/0 same, 1/0 differ, 1/0 differ, 0/0 same (all-zero rows) → 2 of 4
    expect(g.top1Agreement).toBe(0.5)
    // cosines: 1, 0, 24/25, 1 (two zero rows are the same output)
    expect(g.meanCosine).toBeCloseTo((1 + 0 + 24 / 25 + 1) / 4, 6)
  })

  it('is perfect for identical outputs', () => {
    const a = Float32Array.from([0.1, -2, 3, 4, 5, -6])
    expect(agreement(a, a.slice(), 3)).toEqual({ top1Agreement: 1, meanCosine: expect.closeTo(1, 6) })
  })

  it('refuses outputs of different sizes', () => {
    expect(() => agreement(new Float32Array(6), new Float32Array(3), 3)).toThrow(/same dataset split/)
  })
})
