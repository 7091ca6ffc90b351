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
import type { CalibrationFeed, VariantReport } from './derive.js'
import { recipeKind, recipeLabel, type Recipe } from './recipe.js'

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

/** Recipes that read samples (calibration, the INT8 explanation). */
function readsSamples(recipe: Recipe): boolean {
  return recipe.method === 'int8-static' || recipe.method === 'int8-dynamic'
}

/**
 * The parent's dataset and its preprocessing resolved against its input, here in the studio's
 * process (where the stored settings are), so the engine worker gets plain data.
 */
async function calibrationFeed(store: Store, parent: ModelRow, recipe: Recipe, override?: PreprocessingRequest): Promise<CalibrationFeed | null> {
  if (!readsSamples(recipe)) return null
  const feed = feedOf(store, parent)
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
  const label = recipeLabel(recipe)
  const name = `${parent.name}-${label}`
  let outPath = req.outPath
  if (!outPath) {
    const dir = join(host.dataDir, 'variants')
    await mkdir(dir, { recursive: true })
    outPath = join(dir, `${name}.onnx`)
  }
  const feed = await calibrationFeed(host.store, parent, recipe, req.preprocessing)
  // In the engine worker: calibration and explanation run ONNX Runtime, never in this process.
  const { report, inspect } = await deriveInEngine(parent.path, recipe, outPath, {
    feed,
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  })
  // Figures from the moment it exists (Explore's size and MACs axes, `models list`).
  const model = host.store.upsertModel({
    name,
    path: report.file,
    sha256: inspect.sha256,
    family: parent.family,
    kind: recipeKind(recipe),
    parentId: parent.id,
    recipe: { method: recipe.method, params: { ...recipe } },
    inspect,
  })
  return { model, report }
}
