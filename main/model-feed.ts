/**
 * How a stored model is fed and scored: its preprocessing, label file and dataset, its own or its
 * nearest ancestor's (variants inherit), with a change or a per-run override applied and checked
 * against the model's input and output before anything is stored or run.
 */
import { StudioError } from '../common/errors.js'
import {
  PRESET_NAMES,
  describePreprocessing,
  presetById,
  type ModelPreprocessing,
  type PreprocessingRequest,
  type PreprocessSettings,
  type PreprocessSource,
  type StoredLabels,
  type StoredPreprocess,
} from '../common/preprocessing.js'
import type { PreprocessSpec, TensorInfo } from '../common/types.js'
import { chooseOutput, formatShape, outputClassCount } from './data/model-input.js'
import { isEmptySettings, mergeSettings, parseSettings, resolveSpec } from './data/preprocess-settings.js'
import { hintsFromCard, hintsFromMetadata } from './data/feed-sources.js'
import type { ModelFeedUpdate, ModelRow, Store } from './store/store.js'

/** What feeding a model takes, each part from the model itself or its nearest ancestor that has it. */
export interface ModelFeed {
  preprocess: StoredPreprocess | null
  /** The model the preprocessing is stored on (itself, or the ancestor it inherits from). */
  preprocessFrom: ModelRow | null
  labels: StoredLabels | null
  dataset: string | null
  /** The card's split (the zoo's 'test'), when a card names one. */
  split: string | null
  /** The nearest model card, for the 'card' preset. */
  card: Record<string, unknown> | null
}

/** Walks from the model up its parents (at most 32 steps: lineage is short, a loop is damage). */
export function feedOf(store: Pick<Store, 'getModel'>, model: ModelRow): ModelFeed {
  const feed: ModelFeed = { preprocess: null, preprocessFrom: null, labels: null, dataset: null, split: null, card: null }
  let m: ModelRow | null = model
  for (let i = 0; m && i < 32; i++) {
    if (!feed.preprocess && m.preprocess) {
      feed.preprocess = m.preprocess
      feed.preprocessFrom = m
    }
    feed.labels ??= m.labels
    feed.dataset ??= m.dataset ?? (typeof m.card?.dataset === 'string' ? m.card.dataset : null)
    feed.split ??= typeof m.card?.split === 'string' ? m.card.split : null
    feed.card ??= m.card
    m = m.parentId === null ? null : store.getModel(m.parentId)
  }
  return feed
}

function cardSettings(card: Record<string, unknown> | null): PreprocessSettings {
  if (!card || card.preprocessing === undefined) {
    throw new StudioError(
      'BAD_INPUT',
      "The 'card' preset needs a model card with preprocessing, and this model has none: attach its card (--card <model.json>) or give the values.",
    )
  }
  return parseSettings(card.preprocessing, 'Model card')
}

/** `base` with the request's preset, then its explicit values, on top. */
export function applyRequest(base: PreprocessSettings, req: PreprocessingRequest, card: Record<string, unknown> | null): PreprocessSettings {
  let s = req.replace ? {} : base
  if (req.preset !== undefined) {
    const preset = presetById(req.preset)
    if (!preset) throw new StudioError('BAD_INPUT', `Unknown preset '${req.preset}'; choose one of ${PRESET_NAMES}.`)
    s = mergeSettings(s, preset.values ?? cardSettings(card))
  }
  return req.settings ? mergeSettings(s, parseSettings(req.settings, 'Preprocessing')) : s
}

function asksForPreprocessing(req: PreprocessingRequest | undefined): req is PreprocessingRequest {
  return req !== undefined && (req.preset !== undefined || (req.settings !== undefined && !isEmptySettings(req.settings)))
}

/** The settings a run uses and where they came from: a per-run override, else what is stored, else the default. */
export function effectiveSettings(feed: ModelFeed, override?: PreprocessingRequest): StoredPreprocess {
  const stored = feed.preprocess
  if (asksForPreprocessing(override)) {
    return { source: override.source ?? 'override', settings: applyRequest(stored?.settings ?? {}, override, feed.card) }
  }
  return stored ?? { source: 'default', settings: {} }
}

/** The full spec of a run on this input (BAD_INPUT naming any mismatch). */
export function specFor(input: TensorInfo, feed: ModelFeed, override?: PreprocessingRequest): PreprocessSpec {
  const e = effectiveSettings(feed, override)
  return resolveSpec(input, e.settings, e.source)
}

/** The labels a run uses: the override's, else the model's (own or inherited). */
export function effectiveLabels(feed: ModelFeed, override?: PreprocessingRequest): string[] | undefined {
  return override?.labels ?? feed.labels?.names ?? undefined
}

/** Checks a label list against the classifier output: one name per score, else BAD_INPUT. */
export function checkLabels(labels: string[], outputs: readonly TensorInfo[], output: string | undefined): void {
  if (labels.length === 0) throw new StudioError('BAD_INPUT', 'The label file has no names; give one class name per line.')
  const o = chooseOutput(outputs, output, labels.length)
  const classes = outputClassCount(o)
  if (classes !== null && classes !== labels.length) {
    throw new StudioError(
      'BAD_INPUT',
      `The label file has ${labels.length} names but output '${o.name}' ${formatShape(o.shape)} gives ${classes} scores; give one name per output, in output order.`,
    )
  }
}

export interface ModelIo {
  inputs: readonly TensorInfo[]
  outputs: readonly TensorInfo[]
}

/** What the model itself says about its preprocessing: its own card, else its ONNX metadata. */
function originOf(model: ModelRow): StoredPreprocess | null {
  try {
    if (model.card?.preprocessing !== undefined) return { source: 'card', settings: parseSettings(model.card.preprocessing, 'Model card') }
    const meta = hintsFromMetadata(model.inspect?.metadata).settings
    return meta ? { source: 'metadata', settings: meta } : null
  } catch {
    return null // a damaged card or metadata: back to the defaults
  }
}

/** The request with an attached card's hints filling what it does not give itself. */
function withCard(req: PreprocessingRequest): PreprocessingRequest {
  if (!req.card) return req
  const hints = hintsFromCard(req.card, 'Model card')
  return {
    ...req,
    ...(hints.settings || req.settings ? { settings: { ...hints.settings, ...req.settings } } : {}),
    ...(req.labels === undefined && hints.labels ? { labels: hints.labels, labelsSource: 'card' } : {}),
    ...(req.dataset === undefined && hints.dataset ? { dataset: hints.dataset } : {}),
  }
}

/**
 * What a change stores on the model, checked first against its input and outputs (and the
 * preprocessing it would inherit), so a bad change stores nothing.
 */
export function feedUpdate(io: ModelIo, model: ModelRow, feed: ModelFeed, given: PreprocessingRequest): ModelFeedUpdate {
  const req = withCard(given)
  const card = given.card ?? feed.card
  const update: ModelFeedUpdate = given.card ? { card: given.card } : {}
  const input = io.inputs[0]
  const wantsSettings = req.replace === true || asksForPreprocessing(req)
  let settings = feed.preprocess?.settings ?? {}
  if (wantsSettings) {
    // Changes start from what the model is fed now (its own, or its parent's for a variant);
    // `replace` starts again from what the model itself says (its card, else its ONNX metadata).
    const origin = req.replace ? originOf(model) : null
    settings = applyRequest(req.replace ? (origin?.settings ?? {}) : settings, { ...req, replace: false }, card)
    const fromCard = (given.settings === undefined || isEmptySettings(given.settings)) &&
      (given.preset === undefined ? given.card !== undefined : presetById(given.preset)?.id === 'card')
    const source: PreprocessSource = req.source ?? (fromCard ? 'card' : asksForPreprocessing(req) ? 'user' : (origin?.source ?? 'user'))
    update.preprocess = isEmptySettings(settings) ? null : { source, settings }
  }
  if (input !== undefined && (wantsSettings || model.preprocess)) resolveSpec(input, settings, 'user')
  if (req.labels !== undefined) {
    if (req.labels !== null) checkLabels(req.labels, io.outputs, settings.output)
    update.labels = req.labels === null ? null : { names: req.labels, source: req.labelsSource ?? 'label file' }
  } else if (settings.output !== undefined) {
    chooseOutput(io.outputs, settings.output)
  }
  if (req.dataset !== undefined) update.dataset = req.dataset
  return update
}

/** Checks a per-run override against the model before a run is created (so a bad flag stores nothing). */
export function checkOverride(io: ModelIo, feed: ModelFeed, override: PreprocessingRequest): void {
  const input = io.inputs[0]
  const e = effectiveSettings(feed, override)
  if (input !== undefined) resolveSpec(input, e.settings, e.source)
  const labels = effectiveLabels(feed, override)
  if (override.labels) checkLabels(override.labels, io.outputs, e.settings.output)
  else if (e.settings.output !== undefined) chooseOutput(io.outputs, e.settings.output, labels?.length)
}

/** The Models view's and `models list`'s picture of how a model is fed. */
export function preprocessingInfo(store: Pick<Store, 'getModel'>, row: ModelRow): ModelPreprocessing {
  const feed = feedOf(store, row)
  const e = effectiveSettings(feed)
  const input = row.inspect?.inputs[0]
  let spec: PreprocessSpec | null = null
  let problem: string | null = null
  if (row.kind === 'firmware') problem = "the board's firmware preprocesses on its own"
  else if (!input) problem = 'the model has not been inspected yet'
  else {
    try {
      spec = resolveSpec(input, e.settings, e.source)
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err)
    }
  }
  return {
    settings: e.settings,
    source: e.source,
    inheritedFrom: feed.preprocessFrom && feed.preprocessFrom.id !== row.id ? feed.preprocessFrom.name : null,
    spec,
    summary: spec ? describePreprocessing(spec) : (problem ?? ''),
    problem,
    labels: feed.labels,
    dataset: feed.dataset,
  }
}
