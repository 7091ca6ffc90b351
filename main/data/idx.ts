/**
 * IDX files (the MNIST / Fashion-MNIST container): a big-endian header — two zero bytes, a dtype
 * byte (0x08 = unsigned byte, the only type we read), the number of dimensions — then one
 * big-endian uint32 per dimension, then the data. Pure parsing here; `readIdxFile` adds the file
 * read and gunzip.
 */
import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'

export interface IdxTensor {
  /** Dimensions, outermost first, e.g. [10000, 28, 28] for images, [10000] for labels. */
  dims: number[]
  /** The elements in row-major order (a view on the input bytes, not a copy). */
  data: Uint8Array
}

const UBYTE = 0x08
const DTYPE_NAMES: Readonly<Record<number, string>> = {
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
}

/** Parses an (uncompressed) IDX buffer of unsigned bytes. Throws an Error saying what is wrong. */
export function parseIdx(bytes: Uint8Array): IdxTensor {
  if (bytes.length < 4) {
    throw new Error(`too short for an IDX header (${bytes.length} bytes; need at least 4)`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const magic = view.getUint16(0)
  if (magic !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b
    throw new Error(
      gz
        ? 'the data is gzip-compressed; gunzip it first (or name the file *.gz)'
        : `bad magic number 0x${magic.toString(16).padStart(4, '0')} (an IDX file starts with 0x0000)`,
    )
  }
  const dtype = view.getUint8(2)
  if (dtype !== UBYTE) {
    const known = DTYPE_NAMES[dtype]
    throw new Error(
      known
        ? `element type ${known} (0x${dtype.toString(16)}) is not supported; only unsigned bytes (0x08) are`
        : `unknown element type 0x${dtype.toString(16).padStart(2, '0')}; only unsigned bytes (0x08) are supported`,
    )
  }
  const ndims = view.getUint8(3)
  if (ndims === 0) throw new Error('the header declares 0 dimensions')
  const headerBytes = 4 + 4 * ndims
  if (bytes.length < headerBytes) {
    throw new Error(
      `truncated header: ${ndims} dimensions need ${headerBytes} bytes, the file has ${bytes.length}`,
    )
  }
  const dims: number[] = []
  let count = 1
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i)
    dims.push(d)
    count *= d
  }
  const available = bytes.length - headerBytes
  if (available < count) {
    throw new Error(
      `truncated data: dimensions [${dims.join(', ')}] need ${count} bytes after the header, found ${available}`,
    )
  }
  if (available > count) {
    throw new Error(`${available - count} unexpected bytes after the data of dimensions [${dims.join(', ')}]`)
  }
  return { dims, data: bytes.subarray(headerBytes, headerBytes + count) }
}

/** Reads and parses an IDX file; gunzips it first when the name ends in .gz. */
export async function readIdxFile(path: string): Promise<IdxTensor> {
  const raw = await readFile(path)
  let bytes: Uint8Array
  if (path.toLowerCase().endsWith('.gz')) {
    try {
      bytes = gunzipSync(raw)
    } catch (e) {
      throw new Error(`${path}: cannot gunzip (${e instanceof Error ? e.message : String(e)})`, { cause: e })
    }
  } else {
    bytes = raw
  }
  try {
    return parseIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}
