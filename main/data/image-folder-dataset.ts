import { availableParallelism } from 'node:os'
import { readdir, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import sharp from 'sharp'
import { StudioError } from '../../common/errors.js'
import type { Dataset, ImageSize, RawImage, ReadOptions } from './dataset.js'
import { checkRange } from './in-memory-dataset.js'

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff'])

export interface ImageFolderOptions {
  name?: string
  split?: string
  /** Images decoded at once; default min(4, cores). */
  concurrency?: number
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
}

async function imageFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort()
}

/** True when `dir` looks like an ImageFolder: sub-folders, at least one holding an image file. */
export async function isImageFolder(dir: string): Promise<boolean> {
  try {
    for (const sub of await subfolders(dir)) {
      if ((await imageFiles(join(dir, sub))).length > 0) return true
    }
  } catch {
    return false
  }
  return false
}

function decodeError(file: string, e: unknown): StudioError {
  return new StudioError(
    'DATASET_INVALID',
    `Cannot decode image ${file}: ${(e as Error).message}. Remove or replace the file.`,
    { cause: e },
  )
}

/**
 * Decodes one file to raw HWC uint8 RGB, resized to `size`: stretched (torchvision's Resize((h, w)))
 * or, with `mode: 'crop'`, keeping the aspect ratio and cropping the centre.
 */
async function decode(file: string, size: ImageSize | undefined): Promise<RawImage> {
  try {
    // Always sRGB out: grey conversion is left to preprocessing, whose BT.601 luma matches
    // PIL's convert('L') (sharp's greyscale weighs channels differently).
    let img = sharp(file, { failOn: 'error' }).removeAlpha().toColourspace('srgb')
    if (size !== undefined) {
      img = img.resize(size.width, size.height, {
        fit: size.mode === 'crop' ? 'cover' : 'fill',
        position: 'centre',
        kernel: size.method === 'nearest' ? 'nearest' : 'linear',
      })
    }
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true })
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      height: info.height,
      width: info.width,
      channels: info.channels,
    }
  } catch (e) {
    throw decodeError(file, e)
  }
}

/** One sub-folder per class, class index = position in the sorted folder names (as torchvision). */
class ImageFolderDataset implements Dataset {
  readonly format = 'imagefolder'
  readonly fixedSize = false

  constructor(
    readonly name: string,
    readonly split: string,
    readonly source: string,
    readonly classes: string[],
    private readonly files: string[],
    private readonly labels: Uint8Array | Uint16Array,
    readonly height: number,
    readonly width: number,
    readonly channels: 1 | 3,
    private readonly concurrency: number,
  ) {}

  get count(): number {
    return this.files.length
  }

  label(i: number): number {
    const l = this.labels[i]
    if (l === undefined) checkRange(i, 1, this.count, this.source)
    return l as number
  }

  async read(start: number, count: number, opts: ReadOptions = {}): Promise<RawImage[]> {
    checkRange(start, count, this.count, this.source)
    const out = new Array<RawImage>(count)
    let next = 0
    // A small pool of workers keeps at most `concurrency` decodes in flight: bounded memory and
    // sharp's thread pool stays busy without starving the inference session of cores.
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++
        if (opts.signal?.aborted === true) throw new StudioError('CANCELLED', 'Evaluation cancelled.')
        out[i] = await decode(this.files[start + i] as string, opts.size)
      }
    }
    const workers = Array.from({ length: Math.min(this.concurrency, count) }, () => worker())
    await Promise.all(workers)
    return out
  }
}

/** Uses `dir/<split>` when it exists and is an ImageFolder itself (train/ and test/ layouts). */
async function splitRoot(dir: string, split: string | undefined): Promise<{ root: string; split: string }> {
  if (split !== undefined) {
    const candidate = join(dir, split)
    if (await isImageFolder(candidate)) return { root: candidate, split }
  }
  return { root: dir, split: split ?? 'all' }
}

/** Opens an ImageFolder: `dir/<class>/<image>.png|jpg…`. Images are decoded only when read. */
export async function openImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<Dataset> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder')
  } catch (e) {
    throw new StudioError('FILE_NOT_FOUND', `Dataset folder not found: ${dir}.`, { cause: e })
  }
  const { root, split } = await splitRoot(dir, opts.split)
  const classes = await subfolders(root)
  const files: string[] = []
  const labelList: number[] = []
  for (const [label, cls] of classes.entries()) {
    for (const f of await imageFiles(join(root, cls))) {
      files.push(join(root, cls, f))
      labelList.push(label)
    }
  }
  const first = files[0]
  if (first === undefined) {
    throw new StudioError(
      'DATASET_INVALID',
      `${root} has no images in class sub-folders. An image folder holds one sub-folder per class ` +
        '(e.g. cat/, dog/) with PNG or JPEG files inside.',
    )
  }
  let meta: sharp.Metadata
  try {
    meta = await sharp(first).metadata()
  } catch (e) {
    throw decodeError(first, e)
  }
  const labels = classes.length <= 256 ? Uint8Array.from(labelList) : Uint16Array.from(labelList)
  const concurrency = opts.concurrency ?? Math.min(4, availableParallelism())
  const channels = (meta.channels ?? 3) <= 2 ? 1 : 3
  return new ImageFolderDataset(
    opts.name ?? basename(dir),
    split,
    root,
    classes,
    files,
    labels,
    meta.height ?? 0,
    meta.width ?? 0,
    channels,
    Math.max(1, concurrency),
  )
}
