/**
 * Variants in the store: derive one from a stored model, write it beside the studio's database
 * (or where asked), and record it with its parent, method and parameters. A variant inherits the
 * parent's dataset and preprocessing, so its accuracy is measured the same way.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { StudioError } from '../../common/errors.js'
import type { Progress } from '../../common/types.js'
import type { PreprocessingRequest } from '../../common/preprocessing.js'
import { feedOf, specFor } from '../model-feed.js'
import { inspectModel } from '../model/inspect.js'
import type { ModelRow, Store } from '../store/store.js'
import { deriveVariant, type VariantReport } from './derive.js'
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

/**
 * Derives a variant of a stored model and stores it with its lineage and figures. It stores no
 * preprocessing, labels or dataset of its own: it inherits its parent's, now and after changes.
 */
export async function deriveStored(
  host: VariantHost,
  parentId: number,
  recipe: Recipe,
  req: DeriveRequest = {},
): Promise<{ model: ModelRow; report: VariantReport }> {
  const parent = host.store.getModel(parentId)
  if (!parent) throw new StudioError('NOT_FOUND', `No model with id ${parentId}.`)
  const feed = feedOf(host.store, parent)
  const label = recipeLabel(recipe)
  const name = `${parent.name}-${label}`
  let outPath = req.outPath
  if (!outPath) {
    const dir = join(host.dataDir, 'variants')
    await mkdir(dir, { recursive: true })
    outPath = join(dir, `${name}.onnx`)
  }
  const report = await deriveVariant(parent.path, recipe, outPath, {
    feed: { dataset: feed.dataset, spec: (input) => specFor(input, feed, req.preprocessing) },
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  })
  // Figures from the moment it exists (Explore's size and MACs axes, `models list`).
  const inspect = await inspectModel(report.file)
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
