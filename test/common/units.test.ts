import { describe, expect, it } from 'vitest'
import { parseBytes, parseDuration, parsePercent } from '../../common/units.js'

describe('strict units', () => {
  it('reads durations in every accepted spelling as microseconds', () => {
    expect(parseDuration('5ms')).toBe(5000)
    expect(parseDuration('5 ms')).toBe(5000)
    expect(parseDuration('250us')).toBe(250)
    expect(parseDuration('250 µs')).toBe(250)
    expect(parseDuration('250μs')).toBe(250)
    expect(parseDuration('0.5s')).toBe(500_000)
    expect(parseDuration('1e3us')).toBe(1000)
    expect(parseDuration('.5ms')).toBe(500)
    expect(parseDuration('800ns')).toBeCloseTo(0.8, 12)
  })

  it('reads sizes with binary and decimal units', () => {
    expect(parseBytes('256KiB')).toBe(262_144)
    expect(parseBytes('1.5 MiB')).toBe(1.5 * 1024 * 1024)
    expect(parseBytes('300KB')).toBe(300_000)
    expect(parseBytes('2MB')).toBe(2_000_000)
    expect(parseBytes('4096B')).toBe(4096)
  })

  it('refuses what does not parse, naming the option and the units', () => {
    expect(() => parseDuration('5 parsecs', '--max-latency')).toThrow(/--max-latency '5 parsecs': unknown unit 'parsecs'.*ms/)
    expect(() => parseDuration('5', '--max-latency')).toThrow(/has no unit/)
    expect(() => parseDuration('fast')).toThrow(/not a number with a unit/)
    expect(() => parseDuration('-5ms')).toThrow(/BAD_INPUT|not a number/)
    expect(() => parseDuration('5 m s')).toThrow()
    expect(() => parseBytes('256kib')).toThrow(/unknown unit 'kib'/)
    expect(() => parseBytes('1e999MB')).toThrow()
    const codeOf = (fn: () => unknown): string | null => {
      try {
        fn()
        return null
      } catch (e) {
        return (e as { code?: string }).code ?? 'no code'
      }
    }
    expect(codeOf(() => parseBytes('12 furlongs'))).toBe('BAD_INPUT')
  })

  it('reads percentages and percentage points, refusing impossible ones', () => {
    expect(parsePercent('88')).toBe(88)
    expect(parsePercent('88.5 %')).toBe(88.5)
    expect(parsePercent('0.5 pt', '--max-accuracy-drop', { points: true })).toBe(0.5)
    expect(parsePercent('150', '--max-slowdown', { max: Infinity })).toBe(150)
    expect(() => parsePercent('101')).toThrow(/above 100/)
    expect(() => parsePercent('88 ms', '--min-top1')).toThrow(/--min-top1 '88 ms' is not a percentage/)
    expect(() => parsePercent('0.5 pt')).toThrow(/not a percentage/)
  })
})
