/**
 * The studio's side of one running agent: sends JSON-lines requests over the SSH channel, routes
 * events to the request that asked, and turns every way it can end — the agent exiting, the
 * connection dropping, a cancel — into the right StudioError. Cancel closes the channel (the agent
 * exits when its stdin closes) and also kills the agent by pid, so nothing keeps running on the board.
 */
import type { ClientChannel } from 'ssh2'
import { StudioError } from '../../common/errors.js'
import { PendingRequests, type ReplyFor, type RequestOf } from '../session/client.js'
import {
  decodeLine,
  encodeLine,
  splitLines,
  type HelloReply,
  type SessionEvent,
} from '../session/protocol.js'
import type { SshConnection } from './connection.js'

/** Where the device's diagnostics go (structurally the studio's Logger; never given secrets). */
export interface DeviceLogger {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
}

const STDERR_KEEP = 4000
/** How long a stopped agent gets to go away before the call returns anyway. */
const STOP_WAIT_MS = 3000
/** Starting node and loading ONNX Runtime on a slow board (a Pi Zero) takes seconds, not minutes. */
const HELLO_TIMEOUT_MS = 120_000

export class AgentClient {
  private readonly pending = new PendingRequests()
  private buffer = ''
  private stderrTail = ''
  private closed = false
  private stopping = false
  private readonly closedPromise: Promise<void>
  private hello: HelloReply | null = null
  private readonly unsubscribeLost: () => void

  private constructor(
    private readonly conn: SshConnection,
    private readonly channel: ClientChannel,
    private readonly logger: DeviceLogger,
  ) {
    channel.setEncoding('utf8')
    channel.on('data', (d: string) => {
      this.buffer = splitLines(this.buffer + d, (line) => this.onLine(line))
    })
    channel.stderr.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-STDERR_KEEP)
    })
    this.unsubscribeLost = conn.onLost((e) => this.failAll(e))
    this.closedPromise = new Promise((resolve) => {
      channel.once('close', () => {
        this.closed = true
        this.unsubscribeLost()
        // The connection's own 'close' may come a moment after the channel's: give it that moment
        // so a dropped link reads as DEVICE_UNREACHABLE, not as an agent crash.
        setTimeout(() => {
          this.failAll(this.exitError())
          resolve()
        }, 100)
      })
    })
  }

  /** Starts `node <agent>` on the board and waits for its hello. */
  static async start(
    conn: SshConnection,
    argv: string[],
    logger: DeviceLogger,
    signal?: AbortSignal,
  ): Promise<AgentClient> {
    const channel = await conn.spawn(argv)
    const agent = new AgentClient(conn, channel, logger)
    try {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new StudioError(
                'TIMEOUT',
                `The agent on ${conn.config.host} did not start within ${HELLO_TIMEOUT_MS / 1000} s; the board may be overloaded, or ONNX Runtime cannot load there.`,
              ),
            ),
          HELLO_TIMEOUT_MS,
        )
      })
      const hello = await Promise.race([
        agent.request({ op: 'hello' as const }, undefined, signal),
        timeout,
      ]).finally(() => clearTimeout(timer))
      agent.hello = hello
      logger.debug(`agent started on ${conn.config.host} (pid ${hello.pid}, node ${hello.node})`)
    } catch (e) {
      await agent.stop()
      throw e
    }
    return agent
  }

  get info(): HelloReply {
    if (!this.hello) throw new StudioError('INTERNAL', 'The agent has not said hello yet')
    return this.hello
  }

  get alive(): boolean {
    return !this.closed && !this.stopping && this.conn.lost === null
  }

  /** Sends one request; resolves with its reply, rejects with the agent's error. */
  async request<R extends RequestOf>(
    req: R,
    onEvent?: (e: SessionEvent) => void,
    signal?: AbortSignal,
  ): Promise<ReplyFor<R>> {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
    if (this.conn.lost) throw this.conn.lost
    if (!this.alive) throw this.exitError()
    const { message, reply } = this.pending.open(req, onEvent)
    this.channel.write(encodeLine(message))
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = (): void => {
        void this.stop().then(() =>
          reject(new StudioError('CANCELLED', 'Cancelled; the agent on the board was stopped')),
        )
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([reply, aborted])
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Ends the agent: closes its stdin and channel, and kills it by pid in case it is stuck. */
  async stop(): Promise<void> {
    if (this.closed) return
    this.stopping = true
    const pid = this.hello?.pid
    try {
      this.channel.end()
      this.channel.close()
    } catch {
      // already closing
    }
    if (pid && this.conn.lost === null) {
      // The pid is a number from the agent's hello, never user text.
      await Promise.race([
        this.conn.exec(['kill', '-TERM', String(pid)]).catch(() => undefined),
        new Promise((r) => setTimeout(r, STOP_WAIT_MS)),
      ])
    }
    await Promise.race([this.closedPromise, new Promise((r) => setTimeout(r, STOP_WAIT_MS))])
  }

  /** Polite end: `bye`, then close. */
  async close(): Promise<void> {
    if (this.alive) await this.request({ op: 'bye' }).catch(() => undefined)
    await this.stop()
  }

  private onLine(line: string): void {
    if (!this.pending.dispatch(decodeLine(line))) {
      this.logger.debug(`agent: ignored a line that is not protocol (${line.slice(0, 80)})`)
    }
  }

  private exitError(): StudioError {
    if (this.conn.lost && !this.stopping) return this.conn.lost
    if (this.stopping) return new StudioError('CANCELLED', 'The agent on the board was stopped')
    const tail = this.stderrTail.trim().split('\n').slice(-12).join('\n')
    return new StudioError(
      'DEVICE_ERROR',
      `The agent on ${this.conn.config.host} exited unexpectedly` +
        (tail ? `; its last output:\n${tail}` : '') +
        '. The model may have crashed ONNX Runtime or the board ran out of memory.',
    )
  }

  private failAll(e: StudioError): void {
    this.pending.failAll(e)
  }
}
