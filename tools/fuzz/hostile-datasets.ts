/**
 * Hostile dataset folders, written to a temp directory: gzip bombs (small and declaring huge
 * data), damaged IDX headers and data, pipes and devices where files should be, damaged CIFAR
 * batches and image folders with broken or enormous images. Each case is a folder to open.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync, gzipSync } from 'node:zlib'

export interface DatasetCase {
  what: string
  path: string
}

type Rng = () => number
const int = (r: Rng, n: number): number => Math.floor(r() * n)

function idxHeader(dims: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length)
  b[2] = 8
  b[3] = dims.length
  dims.forEach((d, i) => b.writeUInt32BE(d >>> 0, 4 + 4 * i))
  return b
}

function idx(dims: number[], fill = (i: number): number => i & 255): Buffer {
  const n = dims.reduce((a, b) => a * b, 1)
  return Buffer.concat([idxHeader(dims), Buffer.from(Array.from({ length: n }, (_, i) => fill(i)))])
}

/** A gzip stream of the header then `zeros` zero bytes, built in pieces (never all in memory). */
function bomb(dims: number[], zeros: number): Buffer {
  const chunk = Buffer.alloc(1024 * 1024)
  const parts: Buffer[] = [idxHeader(dims)]
  for (let left = zeros; left > 0; left -= chunk.length) parts.push(left >= chunk.length ? chunk : chunk.subarray(0, left))
  // gzip members concatenate (a reader inflates them in turn); 1 MiB of zeros deflates to ~1 KB.
  const zipped = new Map<Buffer, Buffer>()
  return Buffer.concat(parts.map((p) => zipped.get(p) ?? zipped.set(p, gzipSync(p, { level: 9 })).get(p) as Buffer))
}

/** A PNG whose header claims width × height (the decoder must refuse it before allocating). */
function pngClaiming(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (b: Buffer): number => {
    let c = 0xffffffff
    for (const x of b) c = (crcTable[(c ^ x) & 255] as number) ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const c = Buffer.alloc(4)
    c.writeUInt32BE(crc(td))
    return Buffer.concat([len, td, c])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = 0
  const row = Buffer.alloc(1 + Math.min(width, 4096))
  const idat = deflateSync(Buffer.concat(Array.from({ length: 64 }, () => row)))
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))])
}

const IMAGES = 't10k-images-idx3-ubyte.gz'
const LABELS = 't10k-labels-idx1-ubyte.gz'

/** The fixed hostile cases, plus `variants` seeded damages of a small valid IDX pair. */
export function hostileDatasets(root: string, r: Rng, variants: number): DatasetCase[] {
  const cases: DatasetCase[] = []
  let n = 0
  const folder = (what: string, files: Record<string, Buffer | 'fifo' | `link:${string}` | 'dir'>): void => {
    const dir = join(root, `d${n++}`)
    mkdirSync(dir, { recursive: true })
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, name)
      mkdirSync(join(path, '..'), { recursive: true })
      if (content === 'fifo') execFileSync('mkfifo', [path])
      else if (content === 'dir') mkdirSync(path)
      else if (typeof content === 'string') symlinkSync(content.slice(5), path)
      else writeFileSync(path, content)
    }
    cases.push({ what, path: dir })
  }
  const labels = gzipSync(idx([100], (i) => i % 10))
  const images = gzipSync(idx([100, 28, 28]))
  folder('a valid small IDX pair (control)', { [IMAGES]: images, [LABELS]: labels })
  folder('gzip bomb: 7.8 MB declared, 1 GiB of zeros', { [IMAGES]: bomb([10000, 28, 28], 1024 ** 3), [LABELS]: labels })
  folder('gzip bomb declaring 4 GB of data', { [IMAGES]: bomb([4_000_000, 32, 32], 64 * 1024 ** 2), [LABELS]: labels })
  folder('labels gzip bomb: 10 kB declared, 256 MiB inflated', { [IMAGES]: images, [LABELS]: bomb([10000], 256 * 1024 ** 2) })
  folder('the images file is a FIFO', { [IMAGES]: 'fifo', [LABELS]: labels })
  folder('the images file links to /dev/zero', { [IMAGES]: 'link:/dev/zero', [LABELS]: labels })
  folder('the images file is a folder', { [IMAGES]: 'dir', [LABELS]: labels })
  folder('classes.txt is a FIFO', { [IMAGES]: images, [LABELS]: labels, 'classes.txt': 'fifo' })
  folder('classes.txt is 8 MiB', { [IMAGES]: images, [LABELS]: labels, 'classes.txt': Buffer.alloc(8 * 1024 ** 2, 0x61) })
  folder('float32 IDX', { [IMAGES]: gzipSync(Buffer.concat([Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 4]), Buffer.alloc(16)])), [LABELS]: labels })
  folder('255 dimensions', { [IMAGES]: gzipSync(Buffer.concat([Buffer.from([0, 0, 8, 255]), Buffer.alloc(1020, 0xff)])), [LABELS]: labels })
  folder('dims whose product overflows', { [IMAGES]: gzipSync(idxHeader([0xffffffff, 0xffffffff, 0xffffffff])), [LABELS]: labels })
  folder('labels 200 and more with 28×28 images', { [IMAGES]: images, [LABELS]: gzipSync(idx([100], (i) => 200 + (i % 50))) })
  folder('100 images, 7 labels', { [IMAGES]: images, [LABELS]: gzipSync(idx([7])) })
  folder('plain IDX whose header disagrees with its size', { 't10k-images-idx3-ubyte': Buffer.concat([idxHeader([60000, 28, 28]), Buffer.alloc(1000)]), 't10k-labels-idx1-ubyte': idx([100]) })
  folder('CIFAR batch of 3,000 bytes', { 'test_batch.bin': Buffer.alloc(3000, 7) })
  folder('CIFAR batch with labels of 250', { 'test_batch.bin': Buffer.concat(Array.from({ length: 4 }, () => Buffer.concat([Buffer.from([250]), Buffer.alloc(3072, 9)]))) })
  folder('CIFAR batch that is a FIFO', { 'data_batch_1.bin': 'fifo', 'test_batch.bin': 'fifo' })
  folder('image folder: a PNG claiming 100,000 × 100,000 pixels', { 'cat/a.png': pngClaiming(100_000, 100_000), 'dog/b.png': pngClaiming(28, 28) })
  folder('image folder: text named .jpg, empty .png', { 'cat/a.jpg': Buffer.from('not an image'), 'dog/b.png': Buffer.alloc(0) })
  folder('image folder: a FIFO named .png and a link to /dev/zero', { 'cat/a.png': 'fifo', 'dog/b.png': 'link:/dev/zero', 'dog/c.png': pngClaiming(16, 16) })
  folder('an empty folder', {})
  const plainImages = idx([100, 28, 28])
  for (let v = 0; v < variants; v++) {
    const which = int(r, 3)
    const base = which === 0 ? plainImages : which === 1 ? gzipSync(plainImages) : labels
    const bytes = Buffer.from(base)
    if (r() < 0.5) {
      const at = int(r, bytes.length)
      folder(`seeded damage ${v}: ${which === 2 ? 'labels' : 'images'} truncated at ${at}`, damaged(which, bytes.subarray(0, at), images, labels))
    } else {
      const at = Array.from({ length: 1 + int(r, 6) }, () => int(r, Math.min(bytes.length, 64)))
      for (const p of at) bytes[p] = int(r, 256)
      folder(`seeded damage ${v}: ${which === 2 ? 'labels' : 'images'} header bytes ${at.join(',')} changed`, damaged(which, bytes, images, labels))
    }
  }
  return cases
}

function damaged(which: number, bytes: Buffer, images: Buffer, labels: Buffer): Record<string, Buffer> {
  if (which === 0) return { 't10k-images-idx3-ubyte': bytes, [LABELS]: labels }
  if (which === 1) return { [IMAGES]: bytes, [LABELS]: labels }
  return { [IMAGES]: images, [LABELS]: bytes }
}
