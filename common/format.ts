/**
 * How figures are written for people (docs/ui.md § Figures): a unit chosen per magnitude and three
 * significant digits, so "182 µs" and "1.40 ms" read the same way everywhere (table, chart, report).
 * Pure; no Node, no DOM, no locale: a report must read the same on every machine.
 */

/** What is shown for a figure that was not measured. */
export const MISSING = '—'

type Maybe = number | null | undefined

function isFiniteNumber(x: Maybe): x is number {
  return typeof x === 'number' && Number.isFinite(x)
}

/** Rounds to three significant digits (0 stays 0). */
function round3(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(3))
}

/** Writes an already rounded number with three significant digits, never in exponent form. */
function digits3(x: number): string {
  if (x === 0) return '0'
  const mag = Math.floor(Math.log10(Math.abs(x)))
  // Values of 1000 or more in the largest unit keep their integer digits rather than an exponent.
  return x.toFixed(Math.max(0, 2 - mag))
}

/**
 * Picks the largest unit not above the value, then rounds to 3 significant digits; rounding may carry
 * 999.7 up to 1000, which then belongs to the next unit ("1.00 ms", not "1000 µs").
 */
function scaled(x: number, units: readonly { name: string; factor: number }[]): string {
  const abs = Math.abs(x)
  let i = 0
  while (i + 1 < units.length && abs >= (units[i + 1]?.factor ?? Infinity)) i++
  let unit = units[i] ?? { name: '', factor: 1 }
  let r = round3(x / unit.factor)
  const next = units[i + 1]
  if (next && Math.abs(r) >= 1000) {
    unit = next
    r = round3(x / unit.factor)
  }
  return unit.name ? `${digits3(r)} ${unit.name}` : digits3(r)
}

const DURATION_UNITS = [
  { name: 'ns', factor: 1e-3 },
  { name: 'µs', factor: 1 },
  { name: 'ms', factor: 1e3 },
  { name: 's', factor: 1e6 },
] as const

/** Microseconds to "812 ns" / "182 µs" / "1.40 ms" / "2.35 s"; `—` when not measured. */
export function formatDuration(us: Maybe): string {
  if (!isFiniteNumber(us)) return MISSING
  if (us === 0) return '0 µs'
  return scaled(us, DURATION_UNITS)
}

const BYTE_UNITS = [
  { name: 'B', factor: 1 },
  { name: 'KiB', factor: 1024 },
  { name: 'MiB', factor: 1024 ** 2 },
  { name: 'GiB', factor: 1024 ** 3 },
  { name: 'TiB', factor: 1024 ** 4 },
] as const

/**
 * Bytes to "512 B" / "1.50 KiB" / "3.20 MiB" (1024 steps). Whole bytes below 1000 B; from 1000 of a
 * unit on, the next unit is used ("0.977 KiB") so that a figure never shows more than 3 digits.
 */
export function formatBytes(n: Maybe): string {
  if (!isFiniteNumber(n)) return MISSING
  if (Math.abs(n) < 999.5) return `${Math.round(n)} B`
  return scaled(n, BYTE_UNITS)
}

const COUNT_UNITS = [
  { name: '', factor: 1 },
  { name: 'k', factor: 1e3 },
  { name: 'M', factor: 1e6 },
  { name: 'G', factor: 1e9 },
  { name: 'T', factor: 1e12 },
] as const

/** Counts (MACs, parameters) to "812" / "1.23 k" / "4.56 M" / "7.89 G"; append the noun yourself. */
export function formatCount(n: Maybe): string {
  if (!isFiniteNumber(n)) return MISSING
  if (Math.abs(n) < 999.5) return String(Math.round(n))
  return scaled(n, COUNT_UNITS)
}

/** A fraction as a percentage: 0.918 → "91.8 %". */
export function formatPercent(fraction: Maybe, digits = 1): string {
  if (!isFiniteNumber(fraction)) return MISSING
  return `${(fraction * 100).toFixed(digits)} %`
}

/** An integer with thousands separators: 10000 → "10,000" (fixed, not the machine's locale). */
export function formatInteger(n: Maybe): string {
  if (!isFiniteNumber(n)) return MISSING
  const s = String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return n < 0 ? `-${s}` : s
}

/**
 * Accuracy always with its dataset and sample count (docs/ui.md):
 * "91.8 % top-1 · Fashion-MNIST test · 10,000". Missing parts are left out, never invented.
 */
export function formatAccuracy(top1: Maybe, dataset?: string | null, count?: Maybe): string {
  if (!isFiniteNumber(top1)) return MISSING
  const parts = [`${formatPercent(top1)} top-1`]
  if (dataset) parts.push(dataset)
  if (isFiniteNumber(count)) parts.push(formatInteger(count))
  return parts.join(' · ')
}

/**
 * An ISO time as local wall-clock time with its zone: "2026-01-01 14:05 UTC+01:00". `timeZone`
 * (an IANA name) overrides the machine's zone, so a report can be written for another place and a
 * test can pin it. The offset is written out because zone abbreviations are ambiguous (CST).
 */
export function formatLocalTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return MISSING
  const t = new Date(iso)
  if (Number.isNaN(t.getTime())) return iso
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(t)
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? ''
  const offset = get('timeZoneName').replace(/^GMT/, '') || '+00:00'
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} UTC${offset}`
}
