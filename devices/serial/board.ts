/**
 * One open connection to a board speaking the runner protocol: open + banner + flush,
 * identification (`name%`, `profile%`), input upload (`db load` + `db` chunks), `infer N W`, and
 * the resynchronisation used to recover from a timeout, a reset or garbage.
 */
import { StudioError } from '../../common/errors.js'
import { LIKELY_CAUSES, SerialHost, type HostTransport, type TranscriptSummary } from './host.js'
import { SerialLink, type LineSettings } from './link.js'
import { dbChunkCommands, lapElapsedUs, lapProblem, readInferReply, type SerialEvent } from './protocol.js'

export interface BoardIdentity {
  /** The vendor/board string of `m-name-<word>-[…]`. */
  name: string
  /** The model id of `m-model-[…]` (ic01, kws01, vww01, ad01, …), null when not reported. */
  modelId: string | null
  profile: string | null
  /** 'performance' | 'energy' | … from the boot banner, when one was seen. */
  timestampMode: string | null
}

export interface Timeouts {
  /** A short command (name, profile, db chunk, flush); docs/protocols.md: 2 s. */
  commandMs: number
  /** How long a boot banner may take after the port opens. */
  bannerMs: number
}

export const DEFAULT_TIMEOUTS: Timeouts = { commandMs: 2000, bannerMs: 2500 }

/** What one `infer N W` measured on the board's clock. */
export interface InferOutcome {
  elapsedUs: number
  /** How long the host waited for the whole reply, microseconds (warm-up and transfer included). */
  wallUs: number
  /** Why the two laps cannot time this command (a stopped or backwards timer), else null. */
  clockProblem: string | null
  results: number[] | null
}

/** A failure the caller may recover from by resynchronising and retrying. */
export function isRecoverable(e: unknown): boolean {
  return e instanceof StudioError && (e.code === 'TIMEOUT' || e.code === 'INTERRUPTED')
}

function has(events: readonly SerialEvent[], kind: SerialEvent['kind']): boolean {
  return events.some((e) => e.kind === kind)
}

function firmwareError(events: readonly SerialEvent[], cmd: string, port: string): StudioError | null {
  const err = events.find((e): e is Extract<SerialEvent, { kind: 'error' }> => e.kind === 'error')
  if (!err) return null
  return new StudioError(
    'DEVICE_ERROR',
    `The board on ${port} answered ${cmd}% with an error: e-[${err.message}]. Check that its firmware ` +
      'speaks the MLPerf Tiny runner protocol and that the input size matches its model.',
  )
}

export class Board {
  private timestampMode: string | null = null

  private constructor(
    readonly host: SerialHost,
    readonly timeouts: Timeouts,
  ) {}

  /** Opens the port, takes a boot banner if the board resets on open, and flushes. */
  static async open(
    settings: LineSettings,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    signal?: AbortSignal,
  ): Promise<Board> {
    const link = await SerialLink.open(settings)
    return Board.over(link, settings.path, timeouts, signal)
  }

  /** The same over any transport (tests). */
  static async over(
    transport: HostTransport,
    portName: string,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    signal?: AbortSignal,
  ): Promise<Board> {
    const board = new Board(new SerialHost(transport, portName), timeouts)
    try {
      await board.flush(signal)
    } catch (e) {
      await board.close()
      throw e
    }
    return board
  }

  transcript(): TranscriptSummary {
    return this.host.transcript()
  }

  async close(): Promise<void> {
    await this.host.close()
  }

  /**
   * A lone `%` ends any half-received command. The flush's m-ready also ends a boot banner when
   * the board resets on open (the `%` is then lost in the reset and the banner's m-ready answers).
   */
  private async flush(signal?: AbortSignal): Promise<void> {
    const events = await this.host.command('', {
      timeoutMs: this.timeouts.bannerMs,
      what: 'the reply to a flush (%) or a boot banner right after opening the port',
      ...(signal ? { signal } : {}),
    })
    const seen = [...events, ...this.host.takeUnsolicited()]
    this.noteBanner(seen)
    // A banner already waiting in the port's buffer ends the flush with its own m-ready; the `%`
    // may then answer later. Realign before the first real command.
    if (seen.some((e) => e.kind === 'init-done')) await this.realign(signal)
  }

  private noteBanner(events: readonly SerialEvent[]): void {
    const mode = events.find((e) => e.kind === 'timestamp-mode')
    if (mode?.kind === 'timestamp-mode') this.timestampMode = mode.mode
  }

  /**
   * Realigns commands and replies after a timeout or a reset: flush, then send `name%` once and
   * read replies until the one holding `m-name` — every older m-ready arrives before it.
   */
  async resync(signal?: AbortSignal): Promise<void> {
    this.host.noteResync()
    const opts = { timeoutMs: this.timeouts.commandMs, ...(signal ? { signal } : {}) }
    try {
      await this.host.command('', { ...opts, what: 'the reply to a flush (%) while resynchronising' })
    } catch (e) {
      if (!isRecoverable(e)) throw e
    }
    await this.realign(signal)
  }

  /** Sends `name%` once and reads replies until the one holding `m-name`: older m-readys come first. */
  private async realign(signal?: AbortSignal): Promise<void> {
    const opts = { timeoutMs: this.timeouts.commandMs, ...(signal ? { signal } : {}) }
    const what = 'the reply to name% while resynchronising'
    let events = await this.host.command('name', { ...opts, what })
    for (let i = 0; i < 8 && !has(events, 'name'); i++)
      events = await this.host.waitFor('ready', { ...opts, what })
    if (!has(events, 'name')) {
      throw new StudioError(
        'DEVICE_ERROR',
        `The board on ${this.host.portName} does not answer name% any more. Reset it and try again.`,
      )
    }
  }

  async identify(signal?: AbortSignal): Promise<BoardIdentity> {
    const opts = { timeoutMs: this.timeouts.commandMs, ...(signal ? { signal } : {}) }
    let nameEv = await this.host.command('name', { ...opts, what: 'the reply to name% (identification)' })
    if (!has(nameEv, 'name')) {
      await this.resync(signal)
      nameEv = await this.host.command('name', { ...opts, what: 'the reply to name% (identification)' })
    }
    this.noteBanner(nameEv)
    const name = nameEv.find((e) => e.kind === 'name')
    if (name?.kind !== 'name') {
      throw new StudioError(
        'DEVICE_ERROR',
        `The board on ${this.host.portName} answered name% without an m-name line. ${LIKELY_CAUSES}`,
      )
    }
    const profEv = await this.host.command('profile', { ...opts, what: 'the reply to profile% (model id)' })
    const model = profEv.find((e) => e.kind === 'model')
    const profile = profEv.find((e) => e.kind === 'profile')
    return {
      name: name.name,
      modelId: model?.kind === 'model' ? model.id : null,
      profile: profile?.kind === 'profile' ? profile.text : null,
      timestampMode: this.timestampMode,
    }
  }

  /** Uploads one input: `db load N`, then ≤ 31-byte `db` chunks, each awaiting m-ready. */
  async loadInput(bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const port = this.host.portName
    const opts = { timeoutMs: this.timeouts.commandMs, ...(signal ? { signal } : {}) }
    const head = await this.host.command(`db load ${bytes.length}`, opts)
    const bad = firmwareError(head, `db load ${bytes.length}`, port)
    if (bad) throw bad
    const expecting = head.find((e) => e.kind === 'expecting')
    if (expecting?.kind === 'expecting' && expecting.bytes !== bytes.length) {
      throw new StudioError(
        'DEVICE_ERROR',
        `The board on ${port} expects ${expecting.bytes} bytes, not ${bytes.length}.`,
      )
    }
    if (expecting === undefined) throw this.misaligned('db load', head)
    const chunks = dbChunkCommands(bytes)
    let loaded = false
    for (const cmd of chunks) {
      if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled.')
      const ev = await this.host.command(cmd, opts)
      if (ev.length > 1) {
        const err = firmwareError(ev, 'db', port)
        if (err) throw err
        if (has(ev, 'init-done')) throw this.resetSeen('db')
        if (has(ev, 'load-done')) loaded = true
      }
    }
    if (!loaded) throw this.misaligned('the last db chunk (no m-load-done)', [])
  }

  /** Runs `infer N W` and returns the board-clock elapsed time and the scores. */
  async infer(n: number, warmup: number, timeoutMs: number, signal?: AbortSignal): Promise<InferOutcome> {
    const cmd = `infer ${n} ${warmup}`
    const started = performance.now()
    const events = await this.host.command(cmd, {
      timeoutMs,
      what: `the reply to ${cmd}% (${n} inferences)`,
      ...(signal ? { signal } : {}),
    })
    const err = firmwareError(events, cmd, this.host.portName)
    if (err) throw err
    const r = readInferReply(events)
    if (r.reset) throw this.resetSeen('infer')
    if (r.laps.length < 2) {
      if (r.done || r.results !== null || this.timestampMode === 'energy') {
        throw new StudioError(
          'DEVICE_ERROR',
          `The board on ${this.host.portName} sent no m-lap-us timestamps for ${cmd}%: its firmware is ` +
            'built in energy mode (timestamps go to the energy monitor). Rebuild it in performance mode.',
        )
      }
      throw this.misaligned(cmd, events)
    }
    const t0 = r.laps[r.laps.length - 2] as number
    const t1 = r.laps[r.laps.length - 1] as number
    const wallUs = (performance.now() - started) * 1000
    const problem = lapProblem(t0, t1, wallUs)
    return {
      elapsedUs: lapElapsedUs(t0, t1),
      wallUs,
      clockProblem: problem === null ? null : `The board on ${this.host.portName} timed ${cmd}% wrongly: ${problem}.`,
      results: r.results,
    }
  }

  private resetSeen(cmd: string): StudioError {
    return new StudioError(
      'INTERRUPTED',
      `The board on ${this.host.portName} reset during ${cmd}% (boot banner seen).`,
    )
  }

  private misaligned(cmd: string, events: readonly SerialEvent[]): StudioError {
    return new StudioError(
      'INTERRUPTED',
      `The reply to ${cmd}% from ${this.host.portName} was incomplete (${events.map((e) => e.kind).join(', ') || 'empty'}); a line was lost.`,
    )
  }
}

/**
 * Runs `fn`; after a recoverable failure (timeout, reset, lost line) resynchronises and tries
 * once more. A second failure, or any other error, is thrown with both causes named.
 */
export async function withRecovery<T>(
  board: Board,
  what: string,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  try {
    return await fn()
  } catch (first) {
    if (!isRecoverable(first) || signal?.aborted) throw first
    await board.resync(signal)
    try {
      return await fn()
    } catch (second) {
      if (!(second instanceof StudioError) || !isRecoverable(second)) throw second
      throw new StudioError(
        second.code,
        `${what} failed twice: ${second.message} (first attempt: ${(first as Error).message})`,
        { cause: second },
      )
    }
  }
}
