/**
 * Variants in the store: derive one from a stored model, write it beside the studio's database
 * (or where asked), and record it with its parent, method and parameters. A variant stores no
 * preprocessing, labels or dataset of its own: it inherits its parent's, now and after changes,
 * so its accuracy is measured the same way.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { PreprocessingRequest } from '../../common/preprocessing.js'
import { StudioError } from '../../common/errors.js'
import type { Progress } from '../../common/types.js'
import { feedOf, specFor } from '../model-feed.js'
import { inspectModel } from '../model/inspect.js'
import type { ModelRow, Store } from '../store/store.js'
import { deriveInEngine } from '../worker/engine.js'
import type { CalibrationFeed, DerivedFile, VariantReport } from './derive.js'
import { readsSamples, recipeKind, recipeLabel, type Recipe } from './recipe.js'

export interface VariantHost {
  store: Store
  dataDir: string
}

export interface DeriveRequest {
  /** Where to write the variant; default `<data dir>/variants/<parent>-<label>.onnx`. */
  outPath?: string
  /** Calibration preprocessing for this derivation only, over the parent's stored one. */
  preprocessing?: PreprocessingRequest
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

/**
 * The parent's dataset and its preprocessing resolved against its input, here in the studio's
 * process (where the stored settings are), so the engine worker gets plain data.
 */
async function calibrationFeed(store: Store, parent: ModelRow, recipe: Recipe, override?: PreprocessingRequest): Promise<CalibrationFeed | null> {
  if (!readsSamples(recipe)) return null
  const feed = feedOf(store, parent)
  // Nothing to read from: the engine says what needed data (pruning goes without by default).
  if (!feed.dataset && !('calibration' in recipe && recipe.calibration)) return { dataset: null, spec: null }
  const input = (parent.inspect ?? (await inspectModel(parent.path))).inputs[0]
  return { dataset: feed.dataset, spec: input ? specFor(input, feed, override) : null }
}

export async function deriveStored(
  host: VariantHost,
  parentId: number,
  recipe: Recipe,
  req: DeriveRequest = {},
): Promise<{ model: ModelRow; report: VariantReport }> {
  const parent = host.store.getModel(parentId)
  if (!parent) throw new StudioError('NOT_FOUND', `No model with id ${parentId}.`)
  const derived = await deriveFor(host, parent, recipe, req)
  return { model: recordVariant(host, parent, recipe, derived), report: derived.report }
}

/**
 * Derives a variant of `parent` (a stored row, or the draft of a file not stored yet) in the
 * engine worker: calibration, pruning's statistics and recovery, and the explanation run ONNX
 * Runtime, never in this process. Nothing is stored.
 */
export async function deriveFor(host: VariantHost, parent: ModelRow, recipe: Recipe, req: DeriveRequest = {}): Promise<DerivedFile> {
  const outPath = await variantPath(host, parent.name, recipe, req)
  const feed = await calibrationFeed(host.store, parent, recipe, req.preprocessing)
  return deriveInEngine(parent.path, recipe, outPath, {
    feed,
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  })
}

/** Where a variant is written: the request's path, or `<data dir>/variants/<parent>-<label>.onnx`. */
async function variantPath(host: VariantHost, parentName: string, recipe: Recipe, req: DeriveRequest): Promise<string> {
  if (req.outPath) return req.outPath
  const dir = join(host.dataDir, 'variants')
  await mkdir(dir, { recursive: true })
  return join(dir, `${parentName}-${recipeLabel(recipe)}.onnx`)
}

/** The data a recipe actually used (calibration split, recovery chosen by default), for the stored recipe. */
function resolvedParams(report: VariantReport): Record<string, unknown> {
  const cal = report.prune?.calibration ?? report.quantization?.calibration
  return {
    ...(report.prune?.recovery ? { recover: report.prune.recovery.method } : {}),
    ...(cal ? { calibration: cal.dataset, calibrationSplit: cal.split, samples: cal.samples } : {}),
  }
}

/** Stores a derived variant with its parent, method, parameters and figures (from the moment it exists). */
export function recordVariant(host: VariantHost, parent: ModelRow, recipe: Recipe, derived: DerivedFile): ModelRow {
  const { report, inspect } = derived
  return host.store.upsertModel({
    name: `${parent.name}-${recipeLabel(recipe)}`,
    path: report.file,
    sha256: inspect.sha256,
    family: parent.family,
    kind: recipeKind(recipe),
    parentId: parent.id,
    recipe: { method: recipe.method, params: { ...recipe, ...resolvedParams(report) } },
    inspect,
  })
}
