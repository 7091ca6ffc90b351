import { readFile } from 'node:fs/promises'
import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import { StudioError } from '../../common/errors.js'

const gunzipAsync = promisify(gunzip)

/**
 * Reads a dataset file, gunzipping it when it starts with the gzip magic (whatever its name says:
 * browsers and some mirrors decompress `.gz` downloads but keep the name).
 */
export async function readDatasetFile(path: string, hint: string): Promise<Uint8Array> {
  let raw: Buffer
  try {
    raw = await readFile(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new StudioError('FILE_NOT_FOUND', `Dataset file not found: ${path}. ${hint}`, { cause: e })
    }
    throw new StudioError('DATASET_INVALID', `Cannot read dataset file ${path}: ${String(e)}`, { cause: e })
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      const out = await gunzipAsync(raw)
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
    } catch (e) {
      throw new StudioError(
        'DATASET_INVALID',
        `${path} is a damaged gzip file (${(e as Error).message}); download it again.`,
        { cause: e },
      )
    }
  }
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
}
