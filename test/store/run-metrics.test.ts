import { describe, expect, it } from 'vitest'
import { metricsFromResult } from '../../main/store/run-metrics.js'
import { benchResult, evalResult } from './fixtures.js'

describe('metricsFromResult', () => {
  it('indexes a benchmark by its latency percentiles, CI and peak RSS', () => {
    const m = metricsFromResult(benchResult())
    expect(m).toMatchObject({
      'latency.p50': 182,
      'latency.p90': 190,
      'latency.p95': 195,
      'latency.p99': 210,
      'latency.mean': 184,
      'latency.cv': 0.033,
      'latency.ci95lo': 180,
      'latency.ci95hi': 184,
      'memory.peakRssBytes': 3_000_000,
    })
  })

  it('leaves out figures that were not measured instead of storing zero', () => {
    const r = benchResult()
    r.memory = { peakRssBytes: null, sessionRssBytes: null }
    r.latencyUs.cv = Number.NaN
    const m = metricsFromResult(r)
    expect(m).not.toHaveProperty('memory.peakRssBytes')
    expect(m).not.toHaveProperty('latency.cv')
    expect(m['latency.p50']).toBe(182)
  })

  it('indexes an evaluation by top-1, top-5 and sample count', () => {
    const m = metricsFromResult({ ...evalResult(), throughput: 850 })
    expect(m).toEqual({
      'accuracy.top1': 0.91,
      'accuracy.top5': 0.99,
      'accuracy.count': 10000,
      throughput: 850,
    })
  })
})
