/**
 * Opening the files a user names (models, dataset files) as regular files only, with a size
 * limit, and hashing them as a stream. A path can name a FIFO (open() would wait forever for a
 * writer and hold a libuv thread), a device (/dev/zero never ends) or a folder; all are refused
 * with one line before a byte is read. The descriptor is opened non-blocking and checked with
 * fstat, so the file checked is the file read.
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { StudioError, type ErrorCode } from '../common/errors.js'
import { formatBytes, printable } from '../common/format.js'

/** Default largest model or dataset file read: well above any sensible edge model. */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 ** 3

/** The limit in force: EDGEBENCH_MAX_FILE_BYTES (bytes, or with a K/M/G suffix) or 2 GiB. */
export function maxFileBytes(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.EDGEBENCH_MAX_FILE_BYTES?.trim()
  if (!text) return DEFAULT_MAX_FILE_BYTES
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?)?$/i.exec(text)
  if (!m) return DEFAULT_MAX_FILE_BYTES
  const unit = (m[2] ?? '').toUpperCase()[0]
  const scale = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1
  const n = Math.floor(Number(m[1]) * scale)
  return n > 0 ? n : DEFAULT_MAX_FILE_BYTES
}


export interface RegularFileOptions {
  /** How the file is named in messages, e.g. 'ONNX model' or 'Dataset file'. */
  what: string
  /** The code for a file that exists but cannot be used (not regular, too large). */
  code: ErrorCode
  /** Default: maxFileBytes(). */
  maxBytes?: number
}

export interface OpenedFile {
  fh: FileHandle
  size: number
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a folder'
  if (st.isFIFO()) return 'a named pipe (FIFO)'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

/** Opens `path` for reading if it is a regular file within the size limit; else one clear StudioError. */
export async function openRegularFile(path: string, o: RegularFileOptions): Promise<OpenedFile> {
  const shown = printable(path, 500)
  let fh: FileHandle
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it has no effect on regular files.
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new StudioError('FILE_NOT_FOUND', `${o.what} ${shown} does not exist. Check the path and try again.`, { cause: e })
    }
    if (code === 'EISDIR') throw new StudioError(o.code, `${o.what} ${shown} is a folder, not a file. Give the path of the file itself.`, { cause: e })
    const why = e instanceof Error ? e.message : String(e)
    throw new StudioError('FILE_NOT_FOUND', `${o.what} ${shown} cannot be opened (${why}). Check its permissions.`, { cause: e })
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) {
      throw new StudioError(o.code, `${o.what} ${shown} is ${kindOf(st)}, not a regular file; give the path of a file.`)
    }
    const max = o.maxBytes ?? maxFileBytes()
    if (st.size > max) {
      throw new StudioError(
        o.code,
        `${o.what} ${shown} is ${formatBytes(st.size)}, above the ${formatBytes(max)} limit; ` +
          'set EDGEBENCH_MAX_FILE_BYTES to allow larger files.',
      )
    }
    return { fh, size: st.size }
  } catch (e) {
    await fh.close()
    throw e
  }
}

/** The first `size` bytes of an opened file (fewer if it shrank meanwhile). */
export async function readAll(fh: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size)
  let at = 0
  while (at < size) {
    const { bytesRead } = await fh.read(buf, at, size - at, at)
    if (bytesRead === 0) break
    at += bytesRead
  }
  return at === size ? buf : buf.subarray(0, at)
}

/** Reads a whole regular file (checked as above). */
export async function readRegularFile(path: string, o: RegularFileOptions): Promise<Buffer> {
  const { fh, size } = await openRegularFile(path, o)
  try {
    return await readAll(fh, size)
  } finally {
    await fh.close()
  }
}

const CHUNK = 1024 * 1024

/** SHA-256 and size of a regular file, read in 1 MiB chunks (memory stays flat for any size). */
export async function hashRegularFile(path: string, o: RegularFileOptions, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const { fh } = await openRegularFile(path, o)
  const max = o.maxBytes ?? maxFileBytes()
  const hash = createHash('sha256')
  const buf = Buffer.allocUnsafe(CHUNK)
  let size = 0
  try {
    for (;;) {
      if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
      const { bytesRead } = await fh.read(buf, 0, CHUNK, size)
      if (bytesRead === 0) break
      hash.update(buf.subarray(0, bytesRead))
      size += bytesRead
      if (size > max) throw new StudioError(o.code, `${o.what} ${printable(path, 500)} grew past the ${formatBytes(max)} limit while it was read.`)
    }
  } finally {
    await fh.close()
  }
  return { sha256: hash.digest('hex'), size }
}
