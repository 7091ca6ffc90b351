/**
 * The data a compression recipe calibrates on (INT8 ranges, pruning's activation statistics,
 * sensitivity scan and recovery): a dataset's calibration split, else its train split — never its
 * test split, which is what the variant's accuracy is measured on.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { StudioError } from '../../common/errors.js'
import type { Dataset } from './dataset.js'
import { listDatasets, resolveDataset } from './datasets.js'
import { isImageFolder } from './image-folder-dataset.js'

const SPLITS = ['calibration', 'train'] as const

function noSplit(name: string): StudioError {
  return new StudioError(
    'BAD_INPUT',
    `${name} has no calibration or train split, and the test split is never used for calibration (the variant's accuracy is measured on it). ` +
      'Pass --calibration <dataset or folder> with training images.',
  )
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )
}

/** Opens the calibration data of `nameOrPath` (a bundled dataset's name or a folder). */
export async function openCalibrationSet(nameOrPath: string): Promise<Dataset> {
  const bundled = (await listDatasets()).find((d) => d.name === nameOrPath)
  if (bundled) {
    const split = SPLITS.find((s) => bundled.splits.some((x) => x.name === s))
    if (!split) throw noSplit(nameOrPath)
    return resolveDataset(nameOrPath, { split })
  }
  // A folder: its calibration/ or train/ sub-folder (image folders), its calib-* or train-*
  // files (IDX, CIFAR-10), or — a folder of class folders with no splits — the folder itself.
  for (const split of SPLITS) {
    if (await isImageFolder(join(nameOrPath, split))) return resolveDataset(nameOrPath, { split })
  }
  const imageFolder = await isImageFolder(nameOrPath)
  if (!imageFolder) {
    for (const split of SPLITS) {
      try {
        const ds = await resolveDataset(nameOrPath, { split })
        if (ds.split !== 'test') return ds
      } catch (e) {
        if (!(e instanceof StudioError) || !(await isDir(nameOrPath))) throw e
      }
    }
    throw noSplit(nameOrPath)
  }
  const ds = await resolveDataset(nameOrPath)
  if (ds.split === 'test') throw noSplit(nameOrPath)
  return ds
}
