import { describe, expect, it } from 'vitest'
import { paretoByGroup, paretoFront } from '../../common/pareto.js'

interface P {
  id: string
  device?: string
  us: number | null
  acc: number | null
}

const cost = (p: P): number | null => p.us
const value = (p: P): number | null => p.acc
const ids = (ps: P[]): string[] => ps.map((p) => p.id)

describe('paretoFront', () => {
  it('keeps only non-dominated points, sorted by cost', () => {
    const pts: P[] = [
      { id: 'fp32', us: 182, acc: 0.92 },
      { id: 'int8', us: 114, acc: 0.915 },
      { id: 'slow-worse', us: 200, acc: 0.9 },
      { id: 'half', us: 84, acc: 0.89 },
      { id: 'big', us: 900, acc: 0.95 },
      { id: 'dominated', us: 150, acc: 0.91 },
    ]
    expect(ids(paretoFront(pts, cost, value))).toEqual(['half', 'int8', 'fp32', 'big'])
  })

  it('keeps the higher value at equal cost, and one of exactly equal points', () => {
    const pts: P[] = [
      { id: 'a-low', us: 100, acc: 0.8 },
      { id: 'a-high', us: 100, acc: 0.9 },
      { id: 'dup1', us: 50, acc: 0.7 },
      { id: 'dup2', us: 50, acc: 0.7 },
      { id: 'same-value-costlier', us: 120, acc: 0.9 },
    ]
    expect(ids(paretoFront(pts, cost, value))).toEqual(['dup1', 'a-high'])
  })

  it('ignores points without a cost or value (null, NaN)', () => {
    const pts: P[] = [
      { id: 'no-latency', us: null, acc: 0.99 },
      { id: 'nan', us: Number.NaN, acc: 0.99 },
      { id: 'no-acc', us: 1, acc: null },
      { id: 'ok', us: 10, acc: 0.5 },
    ]
    expect(ids(paretoFront(pts, cost, value))).toEqual(['ok'])
    expect(paretoFront([], cost, value)).toEqual([])
  })
})

describe('paretoByGroup', () => {
  it('computes one front per device, in order of first appearance', () => {
    const pts: P[] = [
      { id: 'pi-fp32', device: 'pi', us: 2000, acc: 0.92 },
      { id: 'host-fp32', device: 'host', us: 182, acc: 0.92 },
      { id: 'pi-int8', device: 'pi', us: 900, acc: 0.915 },
      { id: 'host-int8', device: 'host', us: 114, acc: 0.915 },
      { id: 'host-bad', device: 'host', us: 300, acc: 0.9 },
      { id: 'mcu-none', device: 'mcu', us: null, acc: 0.9 },
    ]
    const fronts = paretoByGroup(pts, (p) => p.device ?? '', cost, value)
    expect([...fronts.keys()]).toEqual(['pi', 'host', 'mcu'])
    expect(ids(fronts.get('pi') ?? [])).toEqual(['pi-int8', 'pi-fp32'])
    expect(ids(fronts.get('host') ?? [])).toEqual(['host-int8', 'host-fp32'])
    expect(fronts.get('mcu')).toEqual([])
  })
})
