/**
 * The device side of the runner protocol (docs/protocols.md §1), as the MLPerf Tiny reference
 * firmware behaves: commands end at `%`, every reply ends with `m-ready`, time is a 32-bit
 * wrapping microsecond counter. It writes nothing but protocol.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FaultPlan, type Fault, type FaultKind } from './faults.js'

export interface DutModel {
  inputBytes: number
  setInput(bytes: Uint8Array): void
  run(): Promise<Float32Array>
}

export interface DutOptions {
  name: string
  modelId: string
  profile: string
  model: DutModel
  /** Target µs per inference (wait to a deadline after each run); null = as fast as it runs. */
  usPerInference: number | null
  /** Counter value at start (e.g. near 2^32 to exercise the wrap). */
  clockStartUs?: number
  faults?: readonly Fault[]
  write(text: string): void
}

const WRAP = 2n ** 32n
const GARBAGE = '\x00\xff\xfe\x7f#~\x1b'

function formatScore(v: number): string {
  // 9 significant digits round-trip a float32; exponents exercise the host's float pattern.
  return Number.isFinite(v) ? Number(v.toPrecision(9)).toString() : String(v)
}

export class DutSimulator {
  private pending = ''
  private readonly queue: string[] = []
  private busy = false
  private readonly t0 = process.hrtime.bigint()
  private readonly clockStart: bigint
  private readonly plan: FaultPlan
  private input: Uint8Array
  private expected = 0
  private filled = 0
  private lastResults = ''

  constructor(private readonly o: DutOptions) {
    this.clockStart = BigInt(Math.floor(o.clockStartUs ?? 0))
    this.plan = new FaultPlan(o.faults ?? [])
    this.input = new Uint8Array(o.model.inputBytes)
  }

  /** The board's microsecond counter, wrapping at 2^32. */
  micros(atNs: bigint = process.hrtime.bigint()): number {
    return Number((this.clockStart + (atNs - this.t0) / 1000n) % WRAP)
  }

  /** What a board prints after reset. */
  banner(): void {
    this.o.write(`m-timestamp-mode-performance\r\nm-lap-us-${this.micros()}\r\nm-init-done\r\nm-ready\r\n`)
  }

  receive(chunk: Uint8Array): void {
    // Commands are cut at `%` from whole byte ranges: a per-byte string append cost ~10 µs per
    // 66-byte `db` command, which the accuracy mode pays 26 times per sample.
    let start = 0
    for (let end = chunk.indexOf(37); end >= 0; end = chunk.indexOf(37, start)) {
      this.queue.push((this.pending + commandText(chunk, start, end)).slice(0, 1024))
      this.pending = ''
      start = end + 1
    }
    if (start < chunk.length && this.pending.length < 1024) {
      this.pending = (this.pending + commandText(chunk, start, chunk.length)).slice(0, 1024)
    }
    if (!this.busy) void this.drain()
  }

  /** Handles queued commands in order; only `infer` (and its model runs) waits. */
  private async drain(): Promise<void> {
    this.busy = true
    try {
      for (let cmd = this.queue.shift(); cmd !== undefined; cmd = this.queue.shift()) {
        const running = this.handle(cmd.trim())
        if (running) await running
      }
    } finally {
      this.busy = false
    }
  }

  private handle(cmd: string): Promise<void> | undefined {
    const args = cmd.split(' ').filter((s) => s !== '')
    const verb = args[0] ?? ''
    const fault = verb === '' ? null : this.plan.next(verb)
    const out: string[] = []
    const emit = (line: string): void => {
      out.push(line)
    }
    if (fault === 'reset') {
      if (verb === 'infer') this.o.write(`m-warmup-start-${args[2] ?? 10}\r\n`)
      this.resetState()
      this.banner()
      return undefined
    }
    if (fault === 'error') emit(`e-[Simulated fault in ${verb}]`)
    else if (verb === 'infer') return this.infer(args, emit, fault).then(() => this.flush(out, fault))
    else this.reply(verb, args, emit)
    this.flush(out, fault)
    return undefined
  }

  private flush(lines: string[], fault: FaultKind | null): void {
    let text = lines.map((l) => `${l}\r\n`).join('')
    if (fault !== 'drop') text += 'm-ready\r\n'
    if (fault === 'garbage') text = GARBAGE + text
    this.o.write(text)
  }

  private resetState(): void {
    this.expected = 0
    this.filled = 0
    this.input.fill(0)
  }

  private reply(verb: string, args: string[], emit: (l: string) => void): void {
    switch (verb) {
      case '':
        return
      case 'name':
        return emit(`m-name-dut-[${this.o.name}]`)
      case 'profile':
        emit(`m-profile-[${this.o.profile}]`)
        return emit(`m-model-[${this.o.modelId}]`)
      case 'timestamp':
        return emit(`m-lap-us-${this.micros()}`)
      case 'results':
        return emit(this.lastResults || 'e-[No results yet]')
      case 'db':
        return this.db(args, emit)
      default:
        return emit(`e-[Unknown command: ${args.join(' ')}]`)
    }
  }

  private db(args: string[], emit: (l: string) => void): void {
    if (args[1] === 'load') {
      const n = Number(args[2])
      if (!Number.isInteger(n) || n < 1 || n > this.o.model.inputBytes) {
        return emit(
          `e-[Bad db load size ${args[2] ?? ''}; the buffer holds ${this.o.model.inputBytes} bytes]`,
        )
      }
      this.expected = n
      this.filled = 0
      return emit(`m-[Expecting ${n} bytes]`)
    }
    const hex = args[1] ?? ''
    if (hex.length % 2 !== 0) return emit('e-[Odd number of hex digits]')
    for (let i = 0; i < hex.length; i += 2) {
      const hi = hexValue(hex.charCodeAt(i))
      const lo = hexValue(hex.charCodeAt(i + 1))
      if (hi < 0 || lo < 0) return emit(`e-[Invalid hex digit '${hex[hi < 0 ? i : i + 1] ?? ''}']`)
      if (this.filled < this.expected) this.input[this.filled++] = (hi << 4) | lo
    }
    if (this.expected > 0 && this.filled >= this.expected) {
      this.o.model.setInput(this.input)
      this.expected = 0
      emit('m-load-done')
    }
  }

  private async infer(args: string[], emit: (l: string) => void, fault: FaultKind | null = null): Promise<void> {
    const n = Number(args[1] ?? 1)
    const w = Number(args[2] ?? 10)
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(w) || w < 0) {
      return emit(`e-[Bad infer arguments: ${args.slice(1).join(' ')}]`)
    }
    emit(`m-warmup-start-${w}`)
    for (let i = 0; i < w; i++) await this.o.model.run()
    emit('m-warmup-done')
    emit(`m-infer-start-${n}`)
    const target = this.o.usPerInference
    // T0 and the deadlines come from one clock reading, so they cannot drift apart.
    const startNs = process.hrtime.bigint()
    const t0 = this.micros(startNs)
    emit(`m-lap-us-${t0}`)
    let scores: Float32Array = new Float32Array(0)
    for (let i = 1; i <= n; i++) {
      scores = await this.o.model.run()
      if (target !== null) await waitUntil(startNs + BigInt(Math.round(i * target * 1000)))
    }
    // A stuck timer repeats T0; a backwards one reads 1 ms before it (wrapping when T0 < 1 ms).
    const t1 = fault === 'stuck-clock' ? t0 : fault === 'backwards-clock' ? (t0 + 2 ** 32 - 1000) % 2 ** 32 : this.micros()
    emit(`m-lap-us-${t1}`)
    emit('m-infer-done')
    this.lastResults = `m-results-[${Array.from(scores, formatScore).join(',')}]`
    emit(this.lastResults)
  }
}

/** The bytes [start, end) as text, CR and LF dropped (a host may end commands with a newline). */
function commandText(chunk: Uint8Array, start: number, end: number): string {
  let s = ''
  let from = start
  for (let i = start; i < end; i++) {
    const c = chunk[i] as number
    if (c === 10 || c === 13) {
      s += Buffer.from(chunk.buffer, chunk.byteOffset + from, i - from).toString('latin1')
      from = i + 1
    }
  }
  return s + Buffer.from(chunk.buffer, chunk.byteOffset + from, end - from).toString('latin1')
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Waits to an hrtime deadline: a timer for the bulk, a spin for the last millisecond. */
async function waitUntil(deadlineNs: bigint): Promise<void> {
  const left = Number(deadlineNs - process.hrtime.bigint()) / 1e6
  if (left > 2) await sleep(left - 1.5)
  while (process.hrtime.bigint() < deadlineNs) {
    // spin: timers are ~1 ms coarse; the last stretch must be exact to keep 0.5 % accuracy
  }
}
