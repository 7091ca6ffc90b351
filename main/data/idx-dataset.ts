import { basename } from 'node:path'
import { StudioError, isStudioError } from '../../common/errors.js'
import type { Dataset } from './dataset.js'
import { InMemoryDataset } from './in-memory-dataset.js'
import { idxDeclaredBytes, parseIdx } from './idx.js'
import { readDatasetFile } from './read-bytes.js'

export interface IdxFiles {
  name: string
  split: string
  imagesPath: string
  labelsPath: string
  /** Class names in label order; default "0", "1", … up to the largest label. */
  classes?: string[]
}

const REFETCH = 'Download the dataset again, or point the studio at the unpacked IDX files.'

async function loadIdx(path: string): Promise<{ dims: number[]; data: Uint8Array }> {
  const bytes = await readDatasetFile(path, REFETCH, idxDeclaredBytes)
  try {
    return parseIdx(bytes)
  } catch (e) {
    const why = isStudioError(e) || e instanceof Error ? e.message : String(e)
    throw new StudioError('DATASET_INVALID', `${path} is not a valid IDX file: ${why}. ${REFETCH}`, {
      cause: e,
    })
  }
}

function imageGeometry(dims: number[], path: string): { height: number; width: number; channels: 1 | 3 } {
  const [, height, width, channels = 1] = dims
  if ((dims.length !== 3 && dims.length !== 4) || height === undefined || width === undefined) {
    throw new StudioError(
      'DATASET_INVALID',
      `${path} holds a [${dims.join(', ')}] tensor, not images ([count, height, width] or ` +
        '[count, height, width, channels]). Did you swap the images and labels files?',
    )
  }
  if (channels !== 1 && channels !== 3) {
    throw new StudioError(
      'DATASET_INVALID',
      `${path}: images with ${channels} channels are not supported; use 1 (grey) or 3 (RGB).`,
    )
  }
  return { height, width, channels }
}

/** Opens an IDX image file + label file pair (MNIST, Fashion-MNIST; gzipped or not). */
export async function openIdxDataset(files: IdxFiles): Promise<Dataset> {
  const [images, labels] = await Promise.all([loadIdx(files.imagesPath), loadIdx(files.labelsPath)])
  const geometry = imageGeometry(images.dims, files.imagesPath)
  if (labels.dims.length !== 1) {
    throw new StudioError(
      'DATASET_INVALID',
      `${files.labelsPath} holds a [${labels.dims.join(', ')}] tensor, not a list of labels. ` +
        'Did you swap the images and labels files?',
    )
  }
  if (labels.dims[0] !== images.dims[0]) {
    throw new StudioError(
      'DATASET_INVALID',
      `${basename(files.imagesPath)} has ${images.dims[0]} images but ${basename(files.labelsPath)} ` +
        `has ${labels.dims[0]} labels; use the images and labels of the same split.`,
    )
  }
  let classes = files.classes
  if (classes === undefined) {
    const max = labels.data.reduce((a, b) => Math.max(a, b), 0)
    classes = Array.from({ length: max + 1 }, (_, i) => String(i))
  }
  return new InMemoryDataset({
    ...geometry,
    name: files.name,
    split: files.split,
    format: 'idx',
    source: files.imagesPath,
    classes,
    pixels: images.data,
    labels: labels.data,
  })
}
