/**
 * Strict parsing of the quantities a user types for constraints and limits ("5ms", "256 KiB",
 * "88 %"). Strict means: a number, an optional space, and a unit from a closed list — anything
 * else ("5 parsecs", "5", "5 m", "fast") is refused with a message that lists the units, so a typo
 * never silently becomes another figure. Pure; no Node, no DOM.
 */
import { StudioError } from './errors.js'

/** Duration units to microseconds (the studio's latency unit). */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-3,
  us: 1,
  µs: 1,
  μs: 1, // U+03BC GREEK SMALL LETTER MU, what many keyboards type
  ms: 1e3,
  s: 1e6,
}

/** Size units to bytes: KiB/MiB/GiB are 1024-based, KB/MB/GB 1000-based (as printed). */
export const BYTE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  KB: 1e3,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
}

const QUANTITY = /^\s*([+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([^\s\d.+-][^\s]*)?\s*$/

function split(text: string): { value: number; unit: string | undefined } | null {
  const m = QUANTITY.exec(text)
  if (!m) return null
  const value = Number(m[1])
  return Number.isFinite(value) ? { value, unit: m[2] } : null
}

function parseWith(
  text: string,
  units: Readonly<Record<string, number>>,
  what: string,
  example: string,
  option: string,
): number {
  const q = split(text)
  const unitList = Object.keys(units).filter((u) => u !== 'μs').join(', ')
  if (!q || q.unit === undefined) {
    const why = q ? 'it has no unit' : 'it is not a number with a unit'
    throw new StudioError('BAD_INPUT', `${option} '${text}' is not a ${what}: ${why}. Write e.g. '${example}' (units: ${unitList}).`)
  }
  const factor = units[q.unit]
  if (factor === undefined) {
    throw new StudioError('BAD_INPUT', `${option} '${text}': unknown unit '${q.unit}'. Use one of ${unitList} (e.g. '${example}').`)
  }
  return q.value * factor
}

/** "5ms" / "5 ms" / "250us" / "250 µs" / "0.5s" → microseconds. */
export function parseDuration(text: string, option = 'the latency'): number {
  return parseWith(text, DURATION_UNITS, 'duration', '5ms', option)
}

/** "256KiB" / "1.5 MiB" / "300KB" / "4096B" → bytes. */
export function parseBytes(text: string, option = 'the size'): number {
  return parseWith(text, BYTE_UNITS, 'size', '256KiB', option)
}

/**
 * A non-negative percentage: "88", "88 %", "88.5%". A bare number is read as percent (the figure
 * the studio prints is "88.0 %"); above `max` (default 100) is refused rather than guessed.
 * Percentage points ("0.5 pt") are accepted where `points` is set, for accuracy drops.
 */
export function parsePercent(text: string, option = 'the percentage', opts: { max?: number; points?: boolean } = {}): number {
  const q = split(text)
  const units = opts.points ? ['%', 'pt', 'pp'] : ['%']
  if (!q || (q.unit !== undefined && !units.includes(q.unit))) {
    throw new StudioError('BAD_INPUT', `${option} '${text}' is not a percentage: write e.g. '${opts.points ? '0.5' : '88'}' or '${opts.points ? '0.5 pt' : '88 %'}'.`)
  }
  const max = opts.max ?? 100
  if (q.value > max) throw new StudioError('BAD_INPUT', `${option} '${text}' is above ${max} %.`)
  return q.value
}
