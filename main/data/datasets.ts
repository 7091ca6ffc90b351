/**
 * Finds a dataset by name (resources/datasets/index.json) or by path (a folder of IDX files, a
 * CIFAR-10 binary folder or file, or an ImageFolder) and opens the right reader.
 */
import { readFile, readdir, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { z } from 'zod'
import { StudioError } from '../../common/errors.js'
import { resourcesDir as defaultResourcesDir } from '../paths.js'
import { findCifarDir, openCifarDataset } from './cifar-dataset.js'
import type { Dataset, DatasetSummary } from './dataset.js'
import { openIdxDataset } from './idx-dataset.js'
import { readClassList } from './read-bytes.js'
import { isImageFolder, openImageFolder } from './image-folder-dataset.js'

const entrySchema = z.object({
  name: z.string().min(1),
  title: z.string().optional(),
  format: z.enum(['idx', 'cifar10', 'imagefolder']),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  classes: z.array(z.string()).min(1),
  splits: z.record(
    z.string(),
    z.object({ images: z.string(), labels: z.string().optional(), count: z.number().int().nonnegative() }),
  ),
  license: z.string().optional(),
  citation: z.string().optional(),
})
const indexSchema = z.object({ datasets: z.array(entrySchema) })
type IndexEntry = z.infer<typeof entrySchema>

export interface ResolveOptions {
  /** Default 'test'. */
  split?: string
  /** Where datasets/index.json lives; default: the app's resources (main/paths.ts). */
  resourcesDir?: string
}

async function readIndex(resourcesDir: string): Promise<IndexEntry[]> {
  const path = join(resourcesDir, 'datasets', 'index.json')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new StudioError('FILE_NOT_FOUND', `Dataset index not found: ${path}. Reinstall the studio.`, {
      cause: e,
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new StudioError('DATASET_INVALID', `${path} is not valid JSON: ${(e as Error).message}.`, {
      cause: e,
    })
  }
  const r = indexSchema.safeParse(json)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new StudioError(
      'DATASET_INVALID',
      `${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}. Reinstall the studio.`,
    )
  }
  return r.data.datasets
}

/** The bundled datasets, for the app's pickers. */
export async function listDatasets(resourcesDir = defaultResourcesDir()): Promise<DatasetSummary[]> {
  return (await readIndex(resourcesDir)).map((e) => ({
    name: e.name,
    title: e.title ?? e.name,
    format: e.format,
    height: e.height,
    width: e.width,
    channels: e.channels,
    classes: e.classes,
    splits: Object.entries(e.splits).map(([name, s]) => ({ name, count: s.count })),
    ...(e.license !== undefined ? { license: e.license } : {}),
    ...(e.citation !== undefined ? { citation: e.citation } : {}),
  }))
}

async function openIndexEntry(entry: IndexEntry, split: string, resourcesDir: string): Promise<Dataset> {
  const s = entry.splits[split]
  if (s === undefined) {
    throw new StudioError(
      'NOT_FOUND',
      `Dataset ${entry.name} has no split '${split}'; choose one of: ${Object.keys(entry.splits).join(', ')}.`,
    )
  }
  const base = join(resourcesDir, 'datasets')
  if (entry.format === 'idx') {
    if (s.labels === undefined) {
      throw new StudioError('DATASET_INVALID', `index.json: ${entry.name}/${split} lists no labels file.`)
    }
    const ds = await openIdxDataset({
      name: entry.name,
      split,
      imagesPath: join(base, s.images),
      labelsPath: join(base, s.labels),
      classes: entry.classes,
    })
    if (ds.count !== s.count) {
      throw new StudioError(
        'DATASET_INVALID',
        `${entry.name}/${split} has ${ds.count} samples, index.json says ${s.count}; reinstall the studio.`,
      )
    }
    return ds
  }
  const path = join(base, s.images)
  if (entry.format === 'cifar10') {
    return openCifarDataset(dirname(path), { name: entry.name, split, files: [path], classes: entry.classes })
  }
  return openImageFolder(path, { name: entry.name, split })
}

const IDX_RE = /^(.*?)[-_.](images|labels)[-_.]idx\d-ubyte(\.gz)?$/
const SPLIT_ALIASES: Record<string, string[]> = {
  test: ['t10k', 'test'],
  calibration: ['calib', 'calibration'],
}

/** Pairs of *-images-idx3-ubyte[.gz] / *-labels-idx1-ubyte[.gz] files in `dir`, by prefix. */
function idxPairs(names: string[]): Map<string, { images?: string; labels?: string }> {
  const pairs = new Map<string, { images?: string; labels?: string }>()
  for (const n of names) {
    const m = IDX_RE.exec(n)
    if (m === null) continue
    const [, prefix = '', kind] = m
    const p = pairs.get(prefix) ?? {}
    if (kind === 'images') p.images = n
    else p.labels = n
    pairs.set(prefix, p)
  }
  return pairs
}

async function openIdxFolder(dir: string, names: string[], split: string | undefined): Promise<Dataset> {
  const pairs = [...idxPairs(names)].filter(([, p]) => p.images !== undefined && p.labels !== undefined)
  const wanted = split ?? 'test'
  const aliases = SPLIT_ALIASES[wanted] ?? [wanted]
  const match =
    pairs.find(([prefix]) => aliases.includes(prefix)) ??
    (split === undefined && pairs.length === 1 ? pairs[0] : undefined)
  if (match === undefined) {
    throw new StudioError(
      'FILE_NOT_FOUND',
      `${dir} has no IDX images + labels pair for split '${wanted}' (found: ${pairs.map(([p]) => p).join(', ') || 'none'}). ` +
        `Name them ${aliases[0]}-images-idx3-ubyte.gz and ${aliases[0]}-labels-idx1-ubyte.gz, or pass --split.`,
    )
  }
  const [prefix, p] = match
  let classes: string[] | undefined
  try {
    const text = await readClassList(join(dir, 'classes.txt'))
    classes = text
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
  } catch {
    classes = undefined
  }
  return openIdxDataset({
    name: basename(dir),
    split: aliases.includes(prefix) ? wanted : prefix,
    imagesPath: join(dir, p.images as string),
    labelsPath: join(dir, p.labels as string),
    ...(classes !== undefined && classes.length > 0 ? { classes } : {}),
  })
}

async function openPath(path: string, split: string | undefined): Promise<Dataset> {
  const st = await stat(path)
  if (!st.isFile() && !st.isDirectory()) {
    throw new StudioError('DATASET_INVALID', `${path} is not a file or a folder (a pipe or a device?); give a dataset folder.`)
  }
  if (st.isFile()) {
    if (path.endsWith('.bin')) {
      return openCifarDataset(dirname(path), {
        name: basename(dirname(path)),
        split: split ?? 'test',
        files: [path],
      })
    }
    throw new StudioError(
      'DATASET_INVALID',
      `${path} is a file; give a dataset folder (IDX files, CIFAR-10 *.bin batches, or one sub-folder per class).`,
    )
  }
  const names = await readdir(path)
  if (names.some((n) => IDX_RE.test(n))) return openIdxFolder(path, names, split)
  if ((await findCifarDir(path)) !== null) {
    return openCifarDataset(path, { name: basename(path), split: split ?? 'test' })
  }
  if ((await isImageFolder(path)) || (split !== undefined && (await isImageFolder(join(path, split))))) {
    return openImageFolder(path, { name: basename(path), ...(split !== undefined ? { split } : {}) })
  }
  throw new StudioError(
    'DATASET_INVALID',
    `${path} is not a dataset the studio can read. Use a folder of IDX files (*-images-idx3-ubyte.gz + ` +
      '*-labels-idx1-ubyte.gz), CIFAR-10 binary batches (*.bin), or an image folder with one sub-folder per class.',
  )
}

/**
 * Opens a dataset: a bundled dataset's name ("fashion-mnist", split default 'test') or a path.
 */
export async function resolveDataset(nameOrPath: string, opts: ResolveOptions = {}): Promise<Dataset> {
  const resourcesDir = opts.resourcesDir ?? defaultResourcesDir()
  const looksLikePath = /[\\/]/.test(nameOrPath) || nameOrPath.startsWith('.')
  if (!looksLikePath) {
    const entries = await readIndex(resourcesDir)
    const entry = entries.find((e) => e.name === nameOrPath)
    if (entry !== undefined) return openIndexEntry(entry, opts.split ?? 'test', resourcesDir)
  }
  const path = resolve(nameOrPath)
  try {
    await stat(path)
  } catch (e) {
    const known = await readIndex(resourcesDir).then(
      (list) => list.map((d) => d.name),
      () => [],
    )
    throw new StudioError(
      'FILE_NOT_FOUND',
      `No dataset named or at '${nameOrPath}'. Check the path, or use a bundled dataset` +
        (known.length > 0 ? ` (${known.join(', ')}).` : '.'),
      { cause: e },
    )
  }
  return openPath(path, opts.split)
}
