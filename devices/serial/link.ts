/**
 * A serial port opened with serialport (line settings, exclusive lock, errors), read and written
 * through its file descriptor. serialport's stream reads through the libuv thread pool (a blocking
 * read per chunk, plus a retry after each EAGAIN) and costs ~0.3 ms per command round trip; the
 * accuracy protocol needs ~28 round trips per Fashion-MNIST sample, so on Unix the hot path reads
 * the non-blocking descriptor directly when the binding's poller says it is readable. Elsewhere
 * (Windows) the stream path is used unchanged.
 */
import { readSync, writeSync } from 'node:fs'
import { SerialPort } from 'serialport'
import { StudioError } from '../../common/errors.js'

export interface LineSettings {
  path: string
  baudRate: number
  dataBits: 5 | 6 | 7 | 8
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space'
  stopBits: 1 | 1.5 | 2
}

export const DEFAULT_LINE: Omit<LineSettings, 'path'> = {
  baudRate: 115200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
}

/** The binding internals the fast path uses; absent on platforms without a poller. */
interface UnixBinding {
  fd: number | null
  isOpen: boolean
  poller?: { once(event: 'readable', cb: (err: Error | null) => void): unknown }
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined
}

/** Turns serialport's open errors into messages that say what to do. */
export function openError(path: string, e: unknown): StudioError {
  const msg = e instanceof Error ? e.message : String(e)
  if (/lock|busy|temporarily unavailable/i.test(msg)) {
    return new StudioError(
      'DEVICE_BUSY',
      `Serial port ${path} is held by another program (a serial monitor, another studio, ModemManager). ` +
        `Close that program and try again. (${msg})`,
      { cause: e },
    )
  }
  if (/ENOENT|no such file|cannot find/i.test(msg)) {
    return new StudioError(
      'DEVICE_UNREACHABLE',
      `Serial port ${path} does not exist. Is the board plugged in? See 'edgebench ports' for the ports present.`,
      { cause: e },
    )
  }
  if (/EACCES|permission/i.test(msg)) {
    return new StudioError(
      'DEVICE_UNREACHABLE',
      `No permission to open ${path}. Add your user to the 'dialout' (Debian/Ubuntu) or 'uucp' group and log in again.`,
      { cause: e },
    )
  }
  return new StudioError('DEVICE_UNREACHABLE', `Cannot open serial port ${path}: ${msg}`, { cause: e })
}

export class SerialLink {
  private onData: (chunk: Uint8Array) => void = () => undefined
  private onClose: (err: Error | null) => void = () => undefined
  private readonly buf = Buffer.allocUnsafe(8192)
  private closed = false

  private constructor(
    readonly path: string,
    private readonly port: SerialPort,
  ) {}

  /** Opens the port with an exclusive lock; rejects with DEVICE_BUSY/DEVICE_UNREACHABLE. */
  static async open(settings: LineSettings): Promise<SerialLink> {
    const port = new SerialPort({
      path: settings.path,
      baudRate: settings.baudRate,
      dataBits: settings.dataBits,
      parity: settings.parity,
      stopBits: settings.stopBits,
      autoOpen: false,
      lock: true,
    })
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(openError(settings.path, err)) : resolve())),
    )
    const link = new SerialLink(settings.path, port)
    port.on('close', (err: Error | null) => link.handleClose(err))
    port.on('error', (err: Error) => link.handleClose(err))
    return link
  }

  /** Sets the receiver of incoming bytes and starts reading. Call once. */
  start(onData: (chunk: Uint8Array) => void, onClose: (err: Error | null) => void): void {
    this.onData = onData
    this.onClose = onClose
    if (this.binding()?.poller) this.pump()
    else this.port.on('data', (chunk: Buffer) => this.onData(chunk))
  }

  write(text: string): void {
    if (this.closed) throw new StudioError('DEVICE_UNREACHABLE', `Serial port ${this.path} is closed.`)
    const b = this.binding()
    if (b?.poller && b.fd !== null) {
      try {
        const data = Buffer.from(text, 'latin1')
        const n = writeSync(b.fd, data)
        if (n === data.length) return
        this.port.write(data.subarray(n))
        return
      } catch (e) {
        if (errnoCode(e) !== 'EAGAIN') throw this.lost(e)
      }
    }
    this.port.write(Buffer.from(text, 'latin1'))
  }

  async close(): Promise<void> {
    if (this.closed || !this.port.isOpen) {
      this.closed = true
      return
    }
    this.closed = true
    await new Promise<void>((resolve) => this.port.close(() => resolve()))
  }

  private binding(): UnixBinding | null {
    const b = (this.port as unknown as { port?: UnixBinding }).port
    return b ?? null
  }

  /**
   * Reads what is available, then waits for the poller's next 'readable'. A short read means the
   * buffer is drained: the poller is level-triggered, so waiting at once costs nothing and spares
   * the EAGAIN exception a second read would throw on every command.
   */
  private pump(): void {
    const b = this.binding()
    if (this.closed || b === null || b.fd === null || !b.isOpen) return
    let n: number
    try {
      n = readSync(b.fd, this.buf, 0, this.buf.length, null)
    } catch (e) {
      const code = errnoCode(e)
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') n = -1
      else {
        this.handleClose(this.lost(e))
        return
      }
    }
    // 0 bytes: the other end hung up (USB unplugged).
    if (n === 0) {
      this.handleClose(new Error('end of file'))
      return
    }
    // A copy: the receiver may keep the chunk while the next read reuses the buffer.
    if (n > 0) this.onData(Uint8Array.prototype.slice.call(this.buf, 0, n))
    if (n === this.buf.length) {
      setImmediate(() => this.pump())
      return
    }
    b.poller?.once('readable', (err) => {
      if (err) this.handleClose(err)
      else this.pump()
    })
  }

  private lost(e: unknown): StudioError {
    return new StudioError(
      'DEVICE_UNREACHABLE',
      `Serial port ${this.path} went away (${e instanceof Error ? e.message : String(e)}). Was the board unplugged?`,
      { cause: e },
    )
  }

  private handleClose(err: Error | null): void {
    const wasClosed = this.closed
    this.closed = true
    if (!wasClosed && this.port.isOpen) this.port.close(() => undefined)
    this.onClose(err)
  }
}
