import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { StudioError } from '../../common/errors.js'
import type { Dataset } from './dataset.js'
import { InMemoryDataset } from './in-memory-dataset.js'
import { readClassList, readDatasetFile } from './read-bytes.js'

const SIDE = 32
const PLANE = SIDE * SIDE
const RECORD = 1 + 3 * PLANE

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
]

/**
 * Parses one CIFAR-10 binary batch: records of 1 label byte + 3072 pixel bytes (R plane, G plane,
 * B plane, row-major 32×32). Returns pixels interleaved HWC, as every other reader gives them.
 */
export function parseCifarBatch(
  bytes: Uint8Array,
  source: string,
): { pixels: Uint8Array; labels: Uint8Array } {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    const cifar100 = bytes.length > 0 && bytes.length % (RECORD + 1) === 0
    throw new StudioError(
      'DATASET_INVALID',
      `${source} is ${bytes.length} bytes, not a whole number of ${RECORD}-byte CIFAR-10 records` +
        (cifar100 ? ' (it looks like CIFAR-100, which is not supported yet)' : '') +
        '. Use the files of the "CIFAR-10 binary version" (cifar-10-binary.tar.gz).',
    )
  }
  const n = bytes.length / RECORD
  const labels = new Uint8Array(n)
  const pixels = new Uint8Array(n * 3 * PLANE)
  for (let i = 0; i < n; i++) {
    const rec = i * RECORD
    labels[i] = bytes[rec] as number
    const dst = i * 3 * PLANE
    for (let c = 0; c < 3; c++) {
      const src = rec + 1 + c * PLANE
      for (let p = 0; p < PLANE; p++) pixels[dst + p * 3 + c] = bytes[src + p] as number
    }
  }
  return { pixels, labels }
}

/** Class names from batches.meta.txt (one per line); the standard ten when the file is absent. */
async function readClassNames(dir: string): Promise<string[]> {
  try {
    const text = await readClassList(join(dir, 'batches.meta.txt'))
    const names = text
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
    return names.length > 0 ? names : CIFAR10_CLASSES
  } catch {
    return CIFAR10_CLASSES
  }
}

/** The batch files that make up `split`: test → test_batch.bin, train → data_batch_*.bin. */
function filesForSplit(bins: string[], split: string): string[] {
  if (split === 'test') return bins.filter((f) => f === 'test_batch.bin')
  if (split === 'train') return bins.filter((f) => /^data_batch_\d+\.bin$/.test(f))
  return bins.filter((f) => f === `${split}.bin` || f === `${split}_batch.bin`)
}

/** Folder with *.bin batches: `dir` itself or its `cifar-10-batches-bin` sub-folder (the tarball's). */
export async function findCifarDir(dir: string): Promise<{ dir: string; bins: string[] } | null> {
  const found: { dir: string; bins: string[] }[] = []
  for (const candidate of [dir, join(dir, 'cifar-10-batches-bin')]) {
    let names: string[]
    try {
      names = await readdir(candidate)
    } catch {
      continue
    }
    const bins = names.filter((f) => f.endsWith('.bin')).sort()
    if (bins.length > 0) found.push({ dir: candidate, bins })
  }
  // Prefer the folder with the standard batch names over one with stray *.bin files.
  const standard = found.find((f) =>
    f.bins.some((b) => b === 'test_batch.bin' || /^data_batch_\d+\.bin$/.test(b)),
  )
  return standard ?? found[0] ?? null
}

export interface CifarOptions {
  name: string
  split: string
  /** Explicit batch files; default: the split's files in `dir`. */
  files?: string[]
  classes?: string[]
}

/** Opens CIFAR-10 binary batches of one split, concatenated in file-name order. */
export async function openCifarDataset(dir: string, opts: CifarOptions): Promise<Dataset> {
  const found = await findCifarDir(dir)
  if (found === null) {
    throw new StudioError(
      'FILE_NOT_FOUND',
      `No CIFAR-10 batch files (*.bin) in ${dir}. Unpack cifar-10-binary.tar.gz there.`,
    )
  }
  const files = opts.files ?? filesForSplit(found.bins, opts.split).map((f) => join(found.dir, f))
  if (files.length === 0) {
    throw new StudioError(
      'FILE_NOT_FOUND',
      `${found.dir} has no batch file for split '${opts.split}' (found ${found.bins.join(', ')}). ` +
        "Use split 'test' (test_batch.bin) or 'train' (data_batch_*.bin).",
    )
  }
  const parts = await Promise.all(
    files.map(async (f) =>
      parseCifarBatch(await readDatasetFile(f, 'Unpack cifar-10-binary.tar.gz again.'), f),
    ),
  )
  const total = parts.reduce((a, p) => a + p.labels.length, 0)
  const pixels = new Uint8Array(total * 3 * PLANE)
  const labels = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    pixels.set(p.pixels, at * 3 * PLANE)
    labels.set(p.labels, at)
    at += p.labels.length
  }
  return new InMemoryDataset({
    name: opts.name,
    split: opts.split,
    format: 'cifar10',
    source:
      files.length === 1
        ? (files[0] as string)
        : `${found.dir} (${files.map((f) => basename(f)).join(', ')})`,
    height: SIDE,
    width: SIDE,
    channels: 3,
    classes: opts.classes ?? (await readClassNames(found.dir)),
    pixels,
    labels,
  })
}
