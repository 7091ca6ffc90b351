/**
 * IDX files (the MNIST / Fashion-MNIST container): a big-endian header — two zero bytes, a dtype
 * byte (0x08 = unsigned byte, the only type we read), the number of dimensions — then one
 * big-endian uint32 per dimension, then the data. Pure parsing here; `readIdxFile` adds the file
 * read and gunzip.
 */
import { readDatasetFile } from './read-bytes.js'

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

/**
 * The file size an IDX header declares (header + data bytes), or null while `head` is too short
 * to tell; throws an Error naming the problem when the header is not an IDX header of bytes.
 * Lets readers refuse a damaged file (or a gzip bomb) from its first bytes.
 */
export function idxDeclaredBytes(head: Uint8Array): number | null {
  if (head.length < 4) return null
  checkMagicAndType(head)
  const ndims = head[3] as number
  const headerBytes = 4 + 4 * ndims
  if (head.length < headerBytes) return null
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  let count = 1
  for (let i = 0; i < ndims; i++) count *= view.getUint32(4 + 4 * i)
  return headerBytes + count
}

function checkMagicAndType(bytes: Uint8Array): void {
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
  if (view.getUint8(3) === 0) throw new Error('the header declares 0 dimensions')
}

/** Parses an (uncompressed) IDX buffer of unsigned bytes. Throws an Error saying what is wrong. */
export function parseIdx(bytes: Uint8Array): IdxTensor {
  if (bytes.length < 4) {
    throw new Error(`too short for an IDX header (${bytes.length} bytes; need at least 4)`)
  }
  checkMagicAndType(bytes)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ndims = view.getUint8(3)
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

/** Reads and parses an IDX file (gzipped or not), with the reader's file checks and bounded gunzip. */
export async function readIdxFile(path: string): Promise<IdxTensor> {
  const bytes = await readDatasetFile(path, '', idxDeclaredBytes)
  try {
    return parseIdx(bytes)
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}
