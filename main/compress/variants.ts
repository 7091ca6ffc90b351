/**
 * Variants in the store: derive one from a stored model, write it beside the studio's database
 * (or where asked), and record it with its parent, method and parameters. A variant inherits the
 * parent's dataset and preprocessing, so its accuracy is measured the same way.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { StudioError } from '../../common/errors.js'
import type { Progress } from '../../common/types.js'
import type { ModelCard } from '../model-card.js'
import { sha256File } from '../model-card.js'
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
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

/** The card that describes how to feed and score the model: its own or its nearest ancestor's. */
export function cardOf(store: Store, model: ModelRow): Record<string, unknown> | null {
  let m: ModelRow | null = model
  for (let i = 0; m && i < 32; i++) {
    if (m.card) return m.card
    m = m.parentId === null ? null : store.getModel(m.parentId)
  }
  return null
}

export async function deriveStored(
  host: VariantHost,
  parentId: number,
  recipe: Recipe,
  req: DeriveRequest = {},
): Promise<{ model: ModelRow; report: VariantReport }> {
  const parent = host.store.getModel(parentId)
  if (!parent) throw new StudioError('NOT_FOUND', `No model with id ${parentId}.`)
  const card = cardOf(host.store, parent) as ModelCard | null
  const report = await deriveVariant(parent.path, recipe, await variantPath(host, parent.name, recipe, req), {
    card,
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  })
  return { model: await recordVariant(host, parent, recipe, report), report }
}

/** Where a variant is written: the request's path, or `<data dir>/variants/<parent>-<label>.onnx`. */
export async function variantPath(host: VariantHost, parentName: string, recipe: Recipe, req: DeriveRequest): Promise<string> {
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

/** Stores a derived variant with its parent, method and parameters. */
export async function recordVariant(host: VariantHost, parent: ModelRow, recipe: Recipe, report: VariantReport): Promise<ModelRow> {
  const card = cardOf(host.store, parent) as ModelCard | null
  const name = `${parent.name}-${recipeLabel(recipe)}`
  // Only what evaluation needs travels: the parent's accuracy and size figures are not the variant's.
  const inherited = card
    ? { name, derivedFrom: parent.name, dataset: card.dataset, split: card.split, preprocessing: card.preprocessing }
    : null
  return host.store.upsertModel({
    name,
    path: report.file,
    sha256: await sha256File(report.file),
    family: parent.family,
    kind: recipeKind(recipe),
    parentId: parent.id,
    recipe: { method: recipe.method, params: { ...recipe, ...resolvedParams(report) } },
    card: inherited,
  })
}
