/**
 * The host side of the runner protocol over one open port: send `cmd%`, collect the reply's lines
 * until `m-ready`. Every wait is on a line, bounded by a timeout whose message names what was
 * awaited and the likely causes; nothing sleeps for a fixed time. A transcript summary (counts and
 * the last lines) is kept for results and error messages.
 */
import { StudioError } from '../../common/errors.js'
import { LineSplitter, parseLine, type SerialEvent } from './protocol.js'

/** The byte pipe the host talks through (a SerialLink, or a test double over a pty). */
export interface HostTransport {
  start(onData: (chunk: Uint8Array) => void, onClose: (err: Error | null) => void): void
  write(text: string): void
  close(): Promise<void>
}

export interface TranscriptSummary {
  commands: number
  lines: number
  errors: string[]
  noiseLines: number
  resets: number
  timeouts: number
  resyncs: number
  /** The last lines exchanged, `> cmd%` for sent, `< line` for received. */
  tail: string[]
}

const TAIL = 24

interface Pending {
  events: SerialEvent[]
  resolve: (events: SerialEvent[]) => void
  reject: (e: Error) => void
  timer: ReturnType<typeof setTimeout>
  /** Also resolve on this event kind (waiting for a banner), not only on m-ready. */
  until: SerialEvent['kind']
}

export interface CommandOptions {
  timeoutMs: number
  /** What the user should read if this times out, e.g. "the reply to name%". */
  what?: string
  signal?: AbortSignal
}

export const LIKELY_CAUSES =
  "Likely causes: a wrong baud rate (check the board's UART settings), firmware built in energy " +
  'mode (it talks through the energy monitor, not this port), the port held by another program, ' +
  'or a board that is not running MLPerf Tiny / EEMBC runner firmware.'

export class SerialHost {
  private readonly splitter = new LineSplitter()
  private pending: Pending | null = null
  private closedError: StudioError | null = null
  /** Lines that arrived while no command was waiting (boot banner, late replies). */
  private unsolicited: SerialEvent[] = []
  private readonly ring: string[] = new Array<string>(TAIL)
  private ringAt = 0
  private ringCount = 0
  private readonly summary: TranscriptSummary = {
    commands: 0,
    lines: 0,
    errors: [],
    noiseLines: 0,
    resets: 0,
    timeouts: 0,
    resyncs: 0,
    tail: [],
  }

  constructor(
    private readonly transport: HostTransport,
    readonly portName: string,
  ) {
    transport.start(
      (chunk) => this.receive(chunk),
      (err) => this.lost(err),
    )
  }

  transcript(): TranscriptSummary {
    return { ...this.summary, errors: [...this.summary.errors], tail: this.tail() }
  }

  noteResync(): void {
    this.summary.resyncs++
  }

  /** Takes the lines that arrived while nothing was awaited. */
  takeUnsolicited(): SerialEvent[] {
    const u = this.unsolicited
    this.unsolicited = []
    return u
  }

  /** Sends `cmd%` and resolves with the reply's events, m-ready included. */
  command(cmd: string, opts: CommandOptions): Promise<SerialEvent[]> {
    return this.send(
      `${cmd}%`,
      'ready',
      opts,
      cmd === '' ? 'the reply to a flush (%)' : `the reply to ${cmd}%`,
    )
  }

  /**
   * Waits (without sending) for a line of the given kind, e.g. the `m-init-done` of a boot banner.
   * Lines already received while idle count.
   */
  waitFor(kind: SerialEvent['kind'], opts: CommandOptions): Promise<SerialEvent[]> {
    const seen = this.takeUnsolicited()
    const at = seen.findIndex((e) => e.kind === kind)
    if (at >= 0) return Promise.resolve(seen.slice(0, at + 1))
    return this.send(null, kind, opts, `m-${kind}`, seen)
  }

  async close(): Promise<void> {
    this.failPending(new StudioError('CANCELLED', `Serial port ${this.portName} was closed.`))
    await this.transport.close()
  }

  private send(
    text: string | null,
    until: SerialEvent['kind'],
    opts: CommandOptions,
    defaultWhat: string,
    already: SerialEvent[] = [],
  ): Promise<SerialEvent[]> {
    if (this.closedError) return Promise.reject(this.closedError)
    if (this.pending) {
      return Promise.reject(
        new StudioError('INTERNAL', `A command was sent before the previous reply ended (${defaultWhat}).`),
      )
    }
    if (opts.signal?.aborted) return Promise.reject(new StudioError('CANCELLED', 'Cancelled.'))
    const what = opts.what ?? defaultWhat
    return new Promise<SerialEvent[]>((resolve, reject) => {
      const onAbort = (): void => this.failPending(new StudioError('CANCELLED', 'Cancelled.'))
      const timer = setTimeout(() => {
        this.summary.timeouts++
        const partial = this.pending?.events.length ?? 0
        this.failPending(
          new StudioError(
            'TIMEOUT',
            `No m-ready from ${this.portName} within ${fmtMs(opts.timeoutMs)} while waiting for ${what}` +
              `${partial > 0 ? ` (${partial} line(s) of the reply arrived)` : ' (nothing arrived)'}. ${LIKELY_CAUSES}`,
          ),
        )
      }, opts.timeoutMs)
      const done = (f: () => void): void => {
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        f()
      }
      this.pending = {
        events: already,
        until,
        timer,
        resolve: (ev) => done(() => resolve(ev)),
        reject: (e) => done(() => reject(e)),
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      if (text !== null) {
        // Lines from before this command (late replies, banners) must not answer a later wait.
        if (this.unsolicited.length > 0) this.unsolicited = []
        this.summary.commands++
        this.remember('>', text)
        try {
          this.transport.write(text)
        } catch (e) {
          this.failPending(e instanceof StudioError ? e : new StudioError('DEVICE_UNREACHABLE', String(e)))
        }
      }
    })
  }

  private receive(chunk: Uint8Array): void {
    for (const line of this.splitter.push(chunk)) {
      const ev = parseLine(line)
      this.summary.lines++
      if (ev.kind === 'noise') this.summary.noiseLines++
      else if (ev.kind === 'error') {
        if (this.summary.errors.length < 10) this.summary.errors.push(ev.message)
      } else if (ev.kind === 'init-done') this.summary.resets++
      this.remember('<', line)
      const p = this.pending
      if (p === null) {
        if (this.unsolicited.length < 256) this.unsolicited.push(ev)
        continue
      }
      p.events.push(ev)
      if (ev.kind === p.until) {
        this.pending = null
        p.resolve(p.events)
      }
    }
  }

  /** A ring of the last lines, formatted only when a transcript is asked for (hot path). */
  private remember(dir: '<' | '>', text: string): void {
    this.ring[this.ringAt] = dir === '>' ? `>${text}` : text
    this.ringAt = (this.ringAt + 1) % TAIL
    this.ringCount = Math.min(TAIL, this.ringCount + 1)
  }

  private tail(): string[] {
    const out: string[] = []
    for (let i = 0; i < this.ringCount; i++) {
      const e = this.ring[(this.ringAt - this.ringCount + i + TAIL) % TAIL] ?? ''
      const sent = e.startsWith('>')
      const text = sent ? e.slice(1) : e
      out.push(`${sent ? '>' : '<'} ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`)
    }
    return out
  }

  private failPending(e: Error): void {
    const p = this.pending
    this.pending = null
    p?.reject(e)
  }

  private lost(err: Error | null): void {
    this.closedError = new StudioError(
      'DEVICE_UNREACHABLE',
      `Serial port ${this.portName} closed${err ? ` (${err.message})` : ''}. Was the board unplugged or reset?`,
    )
    this.failPending(this.closedError)
  }
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`
}
