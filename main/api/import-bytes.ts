/**
 * Imports a model whose bytes came over the API (browser drag-and-drop): checked as ONNX first,
 * then kept in the studio's data folder under its SHA-256, so the stored path stays valid after
 * the browser tab is gone and the same file dropped twice is one file.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { MAX_IMPORT_BYTES } from '../../common/api-schemas.js'
import type { ImportBytesRequest } from '../../common/api.js'
import { parseCard } from '../data/feed-sources.js'
import { StudioError } from '../../common/errors.js'
import { decodeModel } from '../model/onnx-io.js'
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

export async function importModelBytes(studio: Studio, input: ImportBytesRequest, importDir: string): Promise<ModelRow> {
  const bytes = Buffer.from(input.dataBase64, 'base64')
  if (bytes.length > MAX_IMPORT_BYTES) {
    throw new StudioError('BAD_INPUT', `${input.fileName} is larger than 256 MiB; import it by path instead.`)
  }
  // Refuses anything that is not a loadable ONNX graph before a byte is written.
  decodeModel(bytes, input.fileName)
  const sha = createHash('sha256').update(bytes).digest('hex')
  // A card dropped with the model is checked before anything is written, too.
  const card = input.cardJson !== undefined ? parseCard(input.cardJson, sha, 'The model card', true)?.card ?? null : null
  const dir = join(importDir, sha.slice(0, 16))
  const path = join(dir, safeModelFileName(input.fileName))
  const fresh = !existsSync(path)
  if (fresh) {
    await mkdir(dir, { recursive: true })
    const tmp = `${path}.part`
    await writeFile(tmp, bytes)
    await rename(tmp, path)
  }
  try {
    // No card unless one came with it: a card found beside a dropped file would be one we wrote ourselves.
    return await studio.importModel(path, { card, ...(input.preprocessing ? { set: input.preprocessing } : {}) })
  } catch (e) {
    // Refused (e.g. mean/std count ≠ channels): nothing stays behind, not even the file.
    if (fresh && !studio.store.getModelBySha(sha)) await rm(dir, { recursive: true, force: true })
    throw e
  }
}
