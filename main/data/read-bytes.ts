import type { FileHandle } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import { StudioError } from '../../common/errors.js'
import { formatBytes, printable } from '../../common/format.js'
import { maxFileBytes, openRegularFile, readAll, readRegularFile } from '../../devices/regular-file.js'

/** Inflated dataset bytes never exceed this (nor the file limit): EMNIST's largest split is 547 MB. */
const MAX_INFLATED_BYTES = 768 * 1024 ** 2

/**
 * The size a file's content declares from its first bytes (an IDX header: header + count bytes),
 * null while more bytes are needed; throws an Error naming the problem when the head is invalid.
 */
export type DeclaredSize = (head: Uint8Array) => number | null

/** The most inflated bytes accepted: the file limit, at most 768 MiB. */
export function maxInflatedBytes(): number {
  return Math.min(maxFileBytes(), MAX_INFLATED_BYTES)
}

/** A declared size for a message: damaged headers declare sizes no disk holds. */
function sizeOf(bytes: number): string {
  return Number.isFinite(bytes) && bytes < 2 ** 53 ? `${formatBytes(bytes)} (${bytes} bytes)` : 'an impossible size'
}

function invalid(path: string, problem: string, cause?: unknown): StudioError {
  return new StudioError('DATASET_INVALID', `${printable(path, 500)} ${problem}`, cause === undefined ? undefined : { cause })
}

/** The content as declared, checked against the file size before the whole file is read. */
async function readPlain(fh: FileHandle, size: number, path: string, declared?: DeclaredSize): Promise<Uint8Array> {
  if (declared) {
    const head = await readAll(fh, Math.min(size, 1024))
    let want: number | null
    try {
      want = declared(head)
    } catch (e) {
      throw invalid(path, `is not a valid dataset file: ${(e as Error).message}.`, e)
    }
    if (want !== null && want !== size) {
      throw invalid(path, `is ${formatBytes(size)} but its header declares ${sizeOf(want)}; the file is damaged or not this kind of dataset.`)
    }
  }
  const raw = await readAll(fh, size)
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
}

/**
 * Inflates a gzip stream into memory, never past what the content declares (once its head is in)
 * nor past the absolute cap: a small gzip bomb stops after its first bytes, not after gigabytes.
 */
function inflate(fh: FileHandle, path: string, declared?: DeclaredSize): Promise<Uint8Array> {
  const cap = maxInflatedBytes()
  return new Promise((resolveBytes, reject) => {
    const source = fh.createReadStream({ autoClose: false, start: 0 })
    const gunzip = createGunzip()
    const chunks: Buffer[] = []
    let total = 0
    let limit = cap
    let out: Buffer | null = null
    let settled = false
    const fail = (e: StudioError): void => {
      if (settled) return
      settled = true
      source.destroy()
      gunzip.destroy()
      reject(e)
    }
    const take = (chunk: Buffer): void => {
      if (settled) return
      if (total + chunk.length > limit) {
        const why = limit < cap ? `the ${formatBytes(limit)} its header declares` : `the ${formatBytes(cap)} limit`
        return fail(invalid(path, `inflates to more than ${why}; the file is damaged or not a dataset (a gzip bomb?).`))
      }
      if (out) chunk.copy(out, total)
      else chunks.push(chunk)
      total += chunk.length
      if (out || !declared) return
      const head = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks)
      let want: number | null
      try {
        want = declared(head)
      } catch (e) {
        return fail(invalid(path, `is not a valid dataset file: ${(e as Error).message}.`, e))
      }
      if (want === null) return
      if (want > cap) return fail(invalid(path, `declares ${sizeOf(want)} of data, above the ${formatBytes(cap)} limit.`))
      if (want < total) return fail(invalid(path, `inflates to more than the ${formatBytes(want)} its header declares; the file is damaged.`))
      limit = want
      out = Buffer.allocUnsafe(want)
      head.copy(out, 0)
      chunks.length = 0
    }
    gunzip.on('data', take)
    gunzip.on('error', (e) => fail(invalid(path, `is a damaged gzip file (${e.message}); download it again.`, e)))
    source.on('error', (e) => fail(invalid(path, `cannot be read (${e.message}).`, e)))
    gunzip.on('end', () => {
      if (settled) return
      settled = true
      const bytes = out ? out.subarray(0, total) : Buffer.concat(chunks)
      resolveBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    })
    source.pipe(gunzip)
  })
}

/**
 * Reads a dataset file (a regular file within the size limit), gunzipping it when it starts with
 * the gzip magic (whatever its name says: browsers and some mirrors decompress `.gz` downloads but
 * keep the name). `declared` lets the reader refuse a file whose size disagrees with its header
 * before reading or inflating it all.
 */
export async function readDatasetFile(path: string, hint: string, declared?: DeclaredSize): Promise<Uint8Array> {
  let opened: Awaited<ReturnType<typeof openRegularFile>>
  try {
    opened = await openRegularFile(path, { what: 'Dataset file', code: 'DATASET_INVALID' })
  } catch (e) {
    if (e instanceof StudioError && e.code === 'FILE_NOT_FOUND') throw new StudioError(e.code, `${e.message} ${hint}`, { cause: e })
    throw e
  }
  const { fh, size } = opened
  try {
    const magic = await readAll(fh, Math.min(2, size))
    if (magic.length === 2 && magic[0] === 0x1f && magic[1] === 0x8b) return await inflate(fh, path, declared)
    return await readPlain(fh, size, path, declared)
  } catch (e) {
    if (e instanceof StudioError) throw e
    throw invalid(path, `cannot be read (${(e as Error).message}). ${hint}`, e)
  } finally {
    await fh.close()
  }
}

/** A class-name list (classes.txt, batches.meta.txt): a small regular text file, never a pipe. */
export async function readClassList(path: string): Promise<string> {
  return (await readRegularFile(path, { what: 'Class list', code: 'DATASET_INVALID', maxBytes: 4 * 1024 * 1024 })).toString('utf8')
}
