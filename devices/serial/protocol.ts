/**
 * The MLPerf Tiny / EEMBC runner protocol (docs/protocols.md §1), host side, as pure functions:
 * bytes → lines (any mix of CR, LF and CRLF, lines split across reads, garbage bytes) and
 * line → event. The I/O that feeds them lives in link.ts and host.ts.
 */

/** One classified line from the board. */
export type SerialEvent =
  | { kind: 'ready' }
  | { kind: 'name'; word: string; name: string }
  | { kind: 'profile'; text: string }
  | { kind: 'model'; id: string }
  | { kind: 'lap'; us: number }
  | { kind: 'results'; values: number[] }
  | { kind: 'error'; message: string }
  | { kind: 'timestamp-mode'; mode: string }
  | { kind: 'init-done' }
  | { kind: 'expecting'; bytes: number }
  | { kind: 'load-done' }
  | { kind: 'warmup-start'; count: number }
  | { kind: 'warmup-done' }
  | { kind: 'infer-start'; count: number }
  | { kind: 'infer-done' }
  /** Another `m-` line (firmware chatter such as `m-[...]`); kept for the transcript. */
  | { kind: 'message'; text: string }
  /** Not protocol: boot noise, a wrong baud rate, a half line. */
  | { kind: 'noise'; text: string }

/** The 32-bit microsecond counter of the board wraps after 2^32 µs (about 71.6 minutes). */
export const LAP_WRAP = 2 ** 32

/** Longest line kept; a flood without line ends (wrong baud, binary output) is cut here. */
const MAX_LINE = 16 * 1024

/**
 * Splits a byte stream into lines. A line ends at CR, LF or any run of them (CRLF, LFCR, CRCR…),
 * so a CR at the end of one read and its LF at the start of the next give one line end. Empty
 * lines are dropped. Bytes are decoded as latin1, one character per byte, so garbage never
 * throws.
 */
export class LineSplitter {
  private partial = ''

  /** Feeds one chunk; returns the complete lines it finished. */
  push(chunk: Uint8Array): string[] {
    const text = this.partial + latin1(chunk)
    const lines: string[] = []
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10 || c === 13) {
        if (i > start) lines.push(text.slice(start, i))
        start = i + 1
      }
    }
    this.partial = text.slice(start)
    if (this.partial.length > MAX_LINE) {
      lines.push(this.partial)
      this.partial = ''
    }
    return lines
  }

  /** What is buffered without a line end yet (for messages and the transcript). */
  pending(): string {
    return this.partial
  }

  reset(): void {
    this.partial = ''
  }
}

function latin1(chunk: Uint8Array): string {
  // Buffer.toString is the fast path under Node; the loop keeps this module free of Node types.
  const maybe = chunk as Uint8Array & { latin1Slice?: (s: number, e: number) => string }
  if (typeof maybe.latin1Slice === 'function') return maybe.latin1Slice(0, chunk.length)
  let s = ''
  for (let i = 0; i < chunk.length; i++) s += String.fromCharCode(chunk[i] as number)
  return s
}

/** A general float: sign, digits with optional fraction, optional exponent, or inf/nan. */
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i

/** Parses `v0,v1,…` of an `m-results-[…]` line; null when any value is not a number. */
export function parseResultValues(list: string): number[] | null {
  const body = list.trim()
  if (body === '') return []
  const parts = body.split(',')
  const values = new Array<number>(parts.length)
  for (let i = 0; i < parts.length; i++) {
    const p = (parts[i] as string).trim()
    if (!FLOAT.test(p)) return null
    const lower = p.toLowerCase()
    values[i] = lower.includes('nan')
      ? Number.NaN
      : lower.includes('inf')
        ? p.startsWith('-')
          ? -Infinity
          : Infinity
        : Number(p)
  }
  return values
}

/** Drops control and non-ASCII bytes (line noise) and surrounding blanks. */
function printable(line: string): string {
  let clean = true
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) {
      clean = false
      break
    }
  }
  return (clean ? line : line.replace(/[^\x20-\x7e]/g, '')).trim()
}

const BRACKETED = /^\[(.*)\]$/

/** Classifies one `m-…` body (the text after `m-`); null when it is not a known shape. */
function classifyMessage(body: string): SerialEvent | null {
  if (body === 'ready') return { kind: 'ready' }
  if (body.startsWith('lap-us-')) {
    const digits = body.slice(7)
    if (!/^\d+$/.test(digits)) return null
    const us = Number(digits)
    return us < LAP_WRAP ? { kind: 'lap', us } : null
  }
  if (body.startsWith('results-[') && body.endsWith(']')) {
    const values = parseResultValues(body.slice(9, -1))
    return values === null ? null : { kind: 'results', values }
  }
  if (body.startsWith('name-')) {
    // m-name-dut-[vendor]; some firmware uses another word than 'dut'.
    const m = /^name-([^-[\]]*)-\[(.*)\]$/.exec(body)
    return m ? { kind: 'name', word: m[1] ?? '', name: m[2] ?? '' } : null
  }
  if (body.startsWith('profile-[') && body.endsWith(']')) return { kind: 'profile', text: body.slice(9, -1) }
  if (body.startsWith('model-[') && body.endsWith(']')) return { kind: 'model', id: body.slice(7, -1) }
  if (body.startsWith('timestamp-mode-')) return { kind: 'timestamp-mode', mode: body.slice(15) }
  if (body === 'init-done') return { kind: 'init-done' }
  if (body === 'load-done') return { kind: 'load-done' }
  if (body === 'warmup-done') return { kind: 'warmup-done' }
  if (body === 'infer-done') return { kind: 'infer-done' }
  let m = /^warmup-start-(\d+)$/.exec(body)
  if (m) return { kind: 'warmup-start', count: Number(m[1]) }
  m = /^infer-start-(\d+)$/.exec(body)
  if (m) return { kind: 'infer-start', count: Number(m[1]) }
  const inner = BRACKETED.exec(body)?.[1]
  if (inner !== undefined) {
    const expecting = /^Expecting (\d+) bytes$/i.exec(inner)
    if (expecting) return { kind: 'expecting', bytes: Number(expecting[1]) }
    return { kind: 'message', text: inner }
  }
  return { kind: 'message', text: body }
}

/** Classifies one line from the board. Garbage glued before `m-`/`e-[` is ignored. */
export function parseLine(raw: string): SerialEvent {
  const line = printable(raw)
  if (line.startsWith('e-['))
    return { kind: 'error', message: line.endsWith(']') ? line.slice(3, -1) : line.slice(3) }
  if (line.startsWith('m-')) {
    const ev = classifyMessage(line.slice(2))
    if (ev !== null) return ev
  }
  // Garbage before a real line (boot noise glued to the first reply): parse from the last
  // protocol marker on, if what follows is a well-formed message.
  const at = Math.max(line.lastIndexOf('m-'), line.lastIndexOf('e-['))
  if (at > 0) {
    const tail = parseLine(line.slice(at))
    if (tail.kind !== 'noise' && tail.kind !== 'message') return tail
  }
  if (line.startsWith('m-')) return { kind: 'message', text: line.slice(2) }
  return { kind: 'noise', text: line }
}

/** Board-clock microseconds from lap T0 to lap T1, across one 32-bit wrap. */
export function lapElapsedUs(t0: number, t1: number): number {
  return t1 >= t0 ? t1 - t0 : t1 + LAP_WRAP - t0
}

/**
 * Why two laps cannot time a window, or null when they can. Equal laps mean a stopped timer (a
 * 0 µs result); a board clock can only wrap forward, so an elapsed time longer than the host saw
 * the command take (`wallUs`, with 10 % + 100 ms to spare) means it went backwards or jumped.
 */
export function lapProblem(t0: number, t1: number, wallUs: number): string | null {
  if (t0 === t1) return `both timestamps read ${t0} µs: the board's microsecond timer did not advance`
  const elapsed = lapElapsedUs(t0, t1)
  if (elapsed > wallUs * 1.1 + 100_000) {
    const how = t1 < t0 ? 'went backwards' : 'jumped ahead'
    return `the timer ${how} (${t0} → ${t1} µs, ${(elapsed / 1e6).toFixed(1)} s) while the command took ${(wallUs / 1e6).toFixed(1)} s`
  }
  return null
}

/** Bytes per `db` chunk: `db ` + 62 hex digits + `%` stays under the firmware's 80 characters. */
export const DB_CHUNK_BYTES = 31

const HEX = '0123456789abcdef'

/** The `db <hex>` command bodies (without `%`) that upload `bytes`, ≤ 31 bytes each. */
export function dbChunkCommands(bytes: Uint8Array): string[] {
  const out: string[] = []
  for (let off = 0; off < bytes.length; off += DB_CHUNK_BYTES) {
    const end = Math.min(bytes.length, off + DB_CHUNK_BYTES)
    let s = 'db '
    for (let i = off; i < end; i++) {
      const b = bytes[i] as number
      s += HEX[b >> 4] + (HEX[b & 15] as string)
    }
    out.push(s)
  }
  return out
}

/** What one reply to `infer N W` carried. */
export interface InferReply {
  laps: number[]
  results: number[] | null
  done: boolean
  /** The boot banner appeared inside the reply: the board reset mid-command. */
  reset: boolean
}

/** Collects the parts of an `infer` reply from its events. */
export function readInferReply(events: readonly SerialEvent[]): InferReply {
  const laps: number[] = []
  let results: number[] | null = null
  let done = false
  let reset = false
  for (const e of events) {
    if (e.kind === 'lap') laps.push(e.us)
    else if (e.kind === 'results') results = e.values
    else if (e.kind === 'infer-done') done = true
    else if (e.kind === 'init-done' || e.kind === 'timestamp-mode') reset = true
  }
  return { laps, results, done, reset }
}
