import { describe, expect, it } from 'vitest'
import {
  printable,
  formatAccuracy,
  formatBytes,
  formatCount,
  formatDuration,
  formatInteger,
  formatPercent,
  MISSING,
} from '../../common/format.js'

describe('formatDuration', () => {
  it('switches µs → ms → s at 1 ms and 1 s with 3 significant digits', () => {
    expect(formatDuration(182)).toBe('182 µs')
    expect(formatDuration(999)).toBe('999 µs')
    expect(formatDuration(1000)).toBe('1.00 ms')
    expect(formatDuration(1234.5)).toBe('1.23 ms')
    expect(formatDuration(84.25)).toBe('84.3 µs')
    expect(formatDuration(1.5e6)).toBe('1.50 s')
    expect(formatDuration(714_285)).toBe('714 ms')
  })

  it('carries a value that rounds up to 1000 into the next unit', () => {
    expect(formatDuration(999.7)).toBe('1.00 ms')
    expect(formatDuration(999_600)).toBe('1.00 s')
  })

  it('shows sub-µs times in ns, long times in whole seconds, and — when not measured', () => {
    expect(formatDuration(0.5)).toBe('500 ns')
    expect(formatDuration(3.6e9)).toBe('3600 s')
    expect(formatDuration(0)).toBe('0 µs')
    expect(formatDuration(null)).toBe(MISSING)
    expect(formatDuration(Number.NaN)).toBe(MISSING)
  })
})

describe('formatBytes', () => {
  it('uses 1024 steps labelled KiB/MiB/GiB', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1024)).toBe('1.00 KiB')
    expect(formatBytes(1536)).toBe('1.50 KiB')
    expect(formatBytes(1024 * 1024)).toBe('1.00 MiB')
    expect(formatBytes(3.2 * 1024 * 1024)).toBe('3.20 MiB')
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.00 GiB')
    expect(formatBytes(78_336)).toBe('76.5 KiB')
  })

  it('never shows more than three digits', () => {
    expect(formatBytes(1000)).toBe('0.977 KiB')
    expect(formatBytes(1023.9 * 1024)).toBe('1.00 MiB')
    expect(formatBytes(undefined)).toBe(MISSING)
  })
})

describe('formatCount / formatPercent / formatInteger', () => {
  it('writes counts with k/M/G', () => {
    expect(formatCount(812)).toBe('812')
    expect(formatCount(1234)).toBe('1.23 k')
    expect(formatCount(1_234_567)).toBe('1.23 M')
    expect(formatCount(999_999)).toBe('1.00 M')
    expect(formatCount(7.891e9)).toBe('7.89 G')
  })

  it('writes fractions as percentages and integers with separators', () => {
    expect(formatPercent(0.918)).toBe('91.8 %')
    expect(formatPercent(0.91834, 2)).toBe('91.83 %')
    expect(formatInteger(10_000)).toBe('10,000')
    expect(formatInteger(1_234_567)).toBe('1,234,567')
    expect(formatInteger(999)).toBe('999')
  })
})

describe('formatAccuracy', () => {
  it('always names the dataset and the count', () => {
    expect(formatAccuracy(0.918, 'Fashion-MNIST test', 10_000)).toBe(
      '91.8 % top-1 · Fashion-MNIST test · 10,000',
    )
  })

  it('leaves out what is unknown instead of inventing it', () => {
    expect(formatAccuracy(0.5)).toBe('50.0 % top-1')
    expect(formatAccuracy(null, 'x', 3)).toBe(MISSING)
  })
})

describe('printable', () => {
  it('escapes line breaks and control characters and cuts long text, so a message stays one line', () => {
    expect(printable('a\nb\r\tc\u0000')).toBe('a\\nb\\r\\tc\\u0000')
    expect(printable('x'.repeat(300), 10)).toBe(`${'x'.repeat(10)}…`)
    expect(printable('conv1/Conv')).toBe('conv1/Conv')
  })
})
