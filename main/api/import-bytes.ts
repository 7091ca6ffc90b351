/**
 * Imports a model whose bytes came over the API (browser drag-and-drop): streamed to a temporary
 * file beside the import folder while hashed (never held whole in memory on the way in), checked
 * as ONNX, then kept in the studio's data folder under its SHA-256, so the stored path stays valid
 * after the browser tab is gone and the same file dropped twice is one file.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { MAX_IMPORT_BYTES } from '../../common/api-schemas.js'
import type { ImportBytesRequest, ImportExtras } from '../../common/api.js'
import { parseCard } from '../data/feed-sources.js'
import { StudioError } from '../../common/errors.js'
import { formatBytes } from '../../common/format.js'
import { loadModel } from '../model/onnx-io.js'
import type { ModelRow } from '../store/store.js'
import type { Studio } from '../studio.js'

/** Where dropped models are kept: beside the database, or a temp folder for an in-memory one. */
export function defaultImportDir(dbPath: string): string {
  return dbPath === ':memory:' ? join(tmpdir(), 'edgebench-imported') : join(dirname(dbPath), 'imported')
}

/** A file name safe on every platform: the base name, odd characters replaced, ending in .onnx. */
export function safeModelFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? ''
  const stem = base.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100)
  return `${stem || 'model'}.onnx`
}

function tooLarge(fileName: string): StudioError {
  return new StudioError('BAD_INPUT', `${fileName} is larger than ${formatBytes(MAX_IMPORT_BYTES)}; import it by path instead.`)
}

/** Writes the chunks to a new temporary file in `dir`, hashing and counting them; removes it on failure. */
async function spool(chunks: AsyncIterable<Uint8Array>, dir: string, fileName: string): Promise<{ tmp: string; sha256: string }> {
  await mkdir(dir, { recursive: true })
  const tmp = join(dir, `.upload-${randomBytes(8).toString('hex')}.part`)
  const hash = createHash('sha256')
  const fh = await open(tmp, 'wx')
  let size = 0
  try {
    for await (const chunk of chunks) {
      size += chunk.length
      if (size > MAX_IMPORT_BYTES) throw tooLarge(fileName)
      hash.update(chunk)
      await fh.write(chunk)
    }
    await fh.close()
  } catch (e) {
    await fh.close().catch(() => undefined)
    await rm(tmp, { force: true })
    throw e
  }
  return { tmp, sha256: hash.digest('hex') }
}

/** Imports a model from a stream of its bytes (an HTTP upload body, or bytes already in memory). */
export async function importModelStream(
  studio: Studio,
  fileName: string,
  chunks: AsyncIterable<Uint8Array>,
  importDir: string,
  extras: ImportExtras = {},
): Promise<ModelRow> {
  const { tmp, sha256 } = await spool(chunks, importDir, fileName)
  const dir = join(importDir, sha256.slice(0, 16))
  const path = join(dir, safeModelFileName(fileName))
  let fresh = false
  let card: Record<string, unknown> | null = null
  try {
    // Refuses anything that is not a loadable ONNX graph before it is kept.
    await loadModel(tmp).catch((e: unknown) => {
      throw e instanceof StudioError ? new StudioError(e.code, e.message.replace(/\.upload-[0-9a-f]+\.part/, fileName), { cause: e }) : e
    })
    // A card dropped with the model is checked before it is kept, too.
    if (extras.cardJson !== undefined) card = parseCard(extras.cardJson, sha256, 'The model card', true)?.card ?? null
    fresh = !existsSync(path)
    if (fresh) {
      await mkdir(dir, { recursive: true })
      await rename(tmp, path)
    }
  } finally {
    await rm(tmp, { force: true })
  }
  try {
    // No card unless one came with it: a card found beside a dropped file would be one we wrote ourselves.
    return await studio.importModel(path, { card, ...(extras.preprocessing ? { set: extras.preprocessing } : {}) })
  } catch (e) {
    // Refused (e.g. mean/std count ≠ channels): nothing stays behind, not even the file.
    if (fresh && !studio.store.getModelBySha(sha256)) await rm(dir, { recursive: true, force: true })
    throw e
  }
}

/** The JSON form ('models:importBytes' over IPC): base64 bytes, imported as above. */
export async function importModelBytes(studio: Studio, input: ImportBytesRequest, importDir: string): Promise<ModelRow> {
  const bytes = Buffer.from(input.dataBase64, 'base64')
  if (bytes.length > MAX_IMPORT_BYTES) throw tooLarge(input.fileName)
  async function* one(): AsyncIterable<Uint8Array> {
    yield bytes
  }
  const { cardJson, preprocessing } = input
  return importModelStream(studio, input.fileName, one(), importDir, {
    ...(cardJson !== undefined ? { cardJson } : {}),
    ...(preprocessing ? { preprocessing } : {}),
  })
}
