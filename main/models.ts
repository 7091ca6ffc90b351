/**
 * Models entering the store and changing how they are fed: import (figures at once, preprocessing
 * and labels from a card or the ONNX metadata, or as the user gives them), `model set`, and the
 * one-off fill of figures older rows lack. Every user-given change is checked against the model's
 * input and outputs before anything is written, so a bad one stores nothing.
 */
import { existsSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { StudioError, toStudioError } from '../common/errors.js'
import type { PreprocessingRequest, StoredLabels, StoredPreprocess } from '../common/preprocessing.js'
import type { InspectResult } from '../common/types.js'
import { hintsFromCard, hintsFromMetadata, sidecarBeside, type FeedHints } from './data/feed-sources.js'
import { resolveSpec } from './data/preprocess-settings.js'
import { findCard, sha256File } from './model-card.js'
import { checkLabels, feedOf, feedUpdate, type ModelIo } from './model-feed.js'
import { inspectModel } from './model/inspect.js'
import type { ModelRow, Store } from './store/store.js'

export interface ModelHost {
  store: Store
  /** What was set aside (a card's preprocessing that does not fit the model). */
  warn(message: string): void
  /** Where a figure could not be had: the model is stored anyway, and its runs will say what is wrong. */
  info(message: string): void
}

export interface ImportOptions {
  /** The model card: undefined = look for `<name>.json` beside the file, null = none. */
  card?: Record<string, unknown> | null
  /** Preprocessing, labels or dataset given with the import (the import dialog, CLI flags). */
  set?: PreprocessingRequest
}

async function inspectOrNull(host: ModelHost, path: string, name: string): Promise<InspectResult | null> {
  try {
    return await inspectModel(path)
  } catch (e) {
    // The model is stored either way; 'models:inspect' and its runs will say what is wrong with it.
    host.info(`inspect ${name}: ${toStudioError(e).message}`)
    return null
  }
}

/** A card's or the metadata's hints, kept only where they fit the model (else dropped with a warning). */
function trustedHints(host: ModelHost, name: string, io: ModelIo | null, hints: FeedHints, source: 'card' | 'metadata'): {
  preprocess: StoredPreprocess | null
  labels: StoredLabels | null
} {
  let preprocess: StoredPreprocess | null = hints.settings ? { source, settings: hints.settings } : null
  let labels: StoredLabels | null = hints.labels ? { names: hints.labels, source } : null
  const input = io?.inputs[0]
  try {
    if (preprocess && input) resolveSpec(input, preprocess.settings, source)
  } catch (e) {
    host.warn(`${name}: the ${source}'s preprocessing does not fit the model, ignored: ${toStudioError(e).message}`)
    preprocess = null
  }
  try {
    if (labels && io) checkLabels(labels.names, io.outputs, preprocess?.settings.output)
  } catch (e) {
    host.warn(`${name}: the ${source}'s labels do not fit the model, ignored: ${toStudioError(e).message}`)
    labels = null
  }
  return { preprocess, labels }
}

async function cardFor(abs: string, sha256: string, given: ImportOptions['card']): Promise<Record<string, unknown> | null> {
  if (given !== undefined) return given
  return (await findCard(abs, sha256)) ?? (await sidecarBeside(abs, sha256))?.card ?? null
}

/** Adds a model file to the store (same bytes → same record), with its figures and how to feed it. */
export async function importModelFile(host: ModelHost, path: string, opts: ImportOptions = {}): Promise<ModelRow> {
  const d = await draftImport(host, path, opts)
  return 'existing' in d ? adoptExisting(host, d.existing, d.abs, opts) : storeDraft(host, d.draft)
}

/**
 * A model file as import would store it, without storing it: the stored record when the same bytes
 * are stored already, else the draft row (id 0) with its figures, card, feed and the change given
 * with the import (checked first). Lets a derivation of a new file store nothing when refused.
 */
export async function draftImport(
  host: ModelHost,
  path: string,
  opts: ImportOptions = {},
): Promise<{ existing: ModelRow; abs: string } | { draft: ModelRow }> {
  const abs = resolve(path)
  if (!existsSync(abs)) {
    throw new StudioError('FILE_NOT_FOUND', `Model file not found: ${path}. Check the path and try again.`)
  }
  const sha256 = await sha256File(abs)
  const existing = host.store.getModelBySha(sha256)
  if (existing) return { existing, abs }
  const card = await cardFor(abs, sha256, opts.card)
  const name = typeof card?.name === 'string' ? card.name : basename(abs, '.onnx')
  const inspect = await inspectOrNull(host, abs, name)
  const hints = card ? hintsFromCard(card, `Model card of ${name}`) : hintsFromMetadata(inspect?.metadata)
  const trusted = trustedHints(host, name, inspect, hints, card ? 'card' : 'metadata')
  const draft: ModelRow = {
    id: 0,
    name,
    path: abs,
    sha256,
    family: typeof card?.family === 'string' ? card.family : null,
    kind: 'fp32',
    parentId: null,
    recipe: null,
    card,
    inspect,
    preprocess: trusted.preprocess,
    labels: trusted.labels,
    dataset: hints.dataset ?? null,
    createdAt: '',
  }
  // A change given with the import is checked before the row exists: refused = nothing stored.
  const update = opts.set ? feedUpdate(ioOf(draft), draft, feedOf(host.store, draft), opts.set) : {}
  return { draft: { ...draft, ...update, card: update.card ?? card } }
}

/** Stores a draft from draftImport. */
export function storeDraft(host: ModelHost, draft: ModelRow): ModelRow {
  const { name, path, sha256, family, inspect, preprocess, labels, dataset, card } = draft
  return host.store.upsertModel({ name, path, sha256, family, kind: 'fp32', inspect, preprocess, labels, dataset, card })
}

/**
 * The same bytes again: the stored record, with what it lacked (figures; the card, when a card-less
 * copy came first and the file now arrives beside its card) and the change given with the import.
 */
async function adoptExisting(host: ModelHost, row: ModelRow, abs: string, opts: ImportOptions): Promise<ModelRow> {
  let current = row
  if (!current.inspect && current.kind !== 'firmware') {
    const inspect = await inspectOrNull(host, abs, row.name)
    if (inspect) {
      host.store.setModelInspect(row.id, inspect)
      current = { ...current, inspect }
    }
  }
  if (!current.card && !current.preprocess && opts.card !== null) {
    const card = await cardFor(abs, row.sha256, opts.card)
    if (card) {
      const hints = hintsFromCard(card, `Model card of ${row.name}`)
      const trusted = trustedHints(host, row.name, current.inspect, hints, 'card')
      current = host.store.upsertModel({
        name: current.name,
        path: current.path,
        sha256: current.sha256,
        card,
        preprocess: trusted.preprocess,
        labels: trusted.labels,
        dataset: hints.dataset ?? null,
      })
    }
  }
  return opts.set ? setPreprocessing(host, current.id, opts.set) : current
}

function ioOf(row: ModelRow): ModelIo {
  if (!row.inspect) {
    throw new StudioError('MODEL_INVALID', `${row.name} could not be inspected, so its input is unknown; fix the file and import it again.`)
  }
  return row.inspect
}

/** `edgebench model set` / the Models view: checks the change against the model, then stores it. */
export async function setPreprocessing(host: ModelHost, modelId: number, req: PreprocessingRequest): Promise<ModelRow> {
  const model = host.store.getModel(modelId)
  if (!model) throw new StudioError('NOT_FOUND', `No model with id ${modelId}.`)
  if (model.kind === 'firmware') {
    throw new StudioError('BAD_INPUT', `${model.name} runs on a board's firmware, which preprocesses on its own; link the board to a studio model instead.`)
  }
  let row = model
  if (!row.inspect) {
    const inspect = await inspectModel(row.path)
    host.store.setModelInspect(row.id, inspect)
    row = { ...row, inspect }
  }
  const update = feedUpdate(ioOf(row), row, feedOf(host.store, row), req)
  const stored = host.store.setModelFeed(modelId, update)
  await refigureDynamicSize(host, stored)
  return host.store.getModel(modelId) ?? stored
}

/** A model with a dynamic H×W counts its MACs at the size it is now fed (its own size setting). */
async function refigureDynamicSize(host: ModelHost, row: ModelRow): Promise<void> {
  const input = row.inspect?.inputs[0]
  const s = row.preprocess?.settings
  if (!input || !s?.height || !s.width || input.shape.slice(1).every((d) => typeof d === 'number')) return
  const spec = resolveSpec(input, s, row.preprocess?.source ?? 'user')
  const dims = spec.layout === 'NCHW' ? [1, spec.channels, spec.height, spec.width] : [1, spec.height, spec.width, spec.channels]
  try {
    host.store.setModelInspect(row.id, await inspectModel(row.path, { inputShapes: { [input.name]: dims } }))
  } catch (e) {
    host.warn(`inspect ${row.name} at ${spec.height}×${spec.width}: ${toStudioError(e).message}`)
  }
}

/**
 * Figures (params, MACs, size) for every model that has none yet — rows from before figures were
 * taken at creation. Models whose file is gone (or firmware records) are skipped. Returns how many
 * were filled.
 */
export async function fillMissingFigures(host: ModelHost): Promise<number> {
  let filled = 0
  for (const m of host.store.listModels()) {
    if (m.inspect || m.kind === 'firmware' || !existsSync(m.path)) continue
    const inspect = await inspectOrNull(host, m.path, m.name)
    if (!inspect) continue
    host.store.setModelInspect(m.id, inspect)
    filled++
  }
  return filled
}
