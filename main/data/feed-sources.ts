/**
 * Where a model's preprocessing, labels and dataset can come from besides the user: its ONNX
 * metadata_props (keys documented in docs/preprocessing.md) and a sidecar model card
 * (`<model>.json`, the zoo's format; only the fields that say how to feed the model are read).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { StudioError } from '../../common/errors.js'
import { parseLabelText, type PreprocessSettings } from '../../common/preprocessing.js'
import { parseSettings } from './preprocess-settings.js'

/** What a source says about feeding a model; any part may be missing. */
export interface FeedHints {
  settings?: PreprocessSettings
  labels?: string[]
  dataset?: string
}

/** metadata_props keys the studio reads (docs/preprocessing.md). */
export const METADATA_KEYS = {
  preprocessing: 'edgebench.preprocessing',
  labels: 'edgebench.labels',
  dataset: 'edgebench.dataset',
} as const

/** Label lists other exporters write: a JSON array, Ultralytics' "{0: 'a', 1: 'b'}", or lines / commas. */
function labelsFrom(value: string): string[] {
  const dict = /^\{\s*\d+\s*:/.test(value.trim())
  if (dict) {
    const pairs = [...value.matchAll(/(\d+)\s*:\s*(['"])(.*?)\2/g)]
    const names: string[] = []
    for (const [, i, , name] of pairs) names[Number(i)] = name ?? ''
    return Array.from(names, (n) => n ?? '')
  }
  const list = parseLabelText(value)
  return list.length === 1 && list[0]?.includes(',') ? list[0].split(',').map((s) => s.trim()) : list
}

/** Windows ML's image metadata (Image.BitmapPixelFormat, Image.NominalPixelRange). */
function winmlSettings(meta: Record<string, string>): PreprocessSettings {
  const out: PreprocessSettings = {}
  const format = meta['Image.BitmapPixelFormat']?.toLowerCase()
  if (format?.startsWith('gray')) out.channelOrder = 'gray'
  else if (format?.startsWith('bgr')) out.channelOrder = 'bgr'
  else if (format?.startsWith('rgb')) out.channelOrder = 'rgb'
  const range = meta['Image.NominalPixelRange']
  if (range === 'NominalRange_0_255') Object.assign(out, { scale: 1, mean: [0], std: [1] })
  else if (range === 'Normalized_0_1') Object.assign(out, { scale: 1 / 255, mean: [0], std: [1] })
  else if (range === 'Normalized_1_1') Object.assign(out, { scale: 1 / 255, mean: [0.5], std: [0.5] })
  return out
}

/** What a model's own metadata_props say; a malformed studio key is BAD_INPUT naming it. */
export function hintsFromMetadata(meta: Record<string, string> | undefined): FeedHints {
  if (!meta) return {}
  const hints: FeedHints = {}
  const winml = winmlSettings(meta)
  const raw = meta[METADATA_KEYS.preprocessing]
  let ours: PreprocessSettings = {}
  if (raw !== undefined) {
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      throw new StudioError('BAD_INPUT', `The model's metadata '${METADATA_KEYS.preprocessing}' is not JSON; fix the export or set the preprocessing by hand.`)
    }
    ours = parseSettings(json, `The model's metadata '${METADATA_KEYS.preprocessing}'`)
  }
  const settings = { ...winml, ...ours }
  if (Object.keys(settings).length > 0) hints.settings = settings
  const labelText = meta[METADATA_KEYS.labels] ?? meta.labels ?? meta.classes ?? meta.names
  if (labelText !== undefined) {
    const labels = labelsFrom(labelText)
    if (labels.length > 0) hints.labels = labels
  }
  const dataset = meta[METADATA_KEYS.dataset]
  if (dataset) hints.dataset = dataset
  return hints
}

/** What a card object says (zoo format: preprocessing, dataset, and `labels` or `classes` when present). */
export function hintsFromCard(card: Record<string, unknown>, where: string): FeedHints {
  const hints: FeedHints = {}
  if (card.preprocessing !== undefined) hints.settings = parseSettings(card.preprocessing, `${where}: preprocessing`)
  const names = card.labels ?? card.classes
  if (Array.isArray(names)) {
    if (!names.every((n) => typeof n === 'string')) throw new StudioError('BAD_INPUT', `${where}: labels must be a list of names.`)
    hints.labels = names as string[]
  }
  if (typeof card.dataset === 'string' && card.dataset.length > 0) hints.dataset = card.dataset
  return hints
}

/**
 * A sidecar card's text for the model with this SHA-256. A card naming another file's SHA-256 is
 * refused; `strict` (a card the user gave) makes one that says nothing about feeding an error too,
 * where a JSON merely found beside a model is passed over (null).
 */
export function parseCard(text: string, sha256: string, where: string, strict: boolean): { card: Record<string, unknown>; hints: FeedHints } | null {
  let card: unknown
  try {
    card = JSON.parse(text)
  } catch (e) {
    if (!strict) return null
    throw new StudioError('BAD_INPUT', `${where} is not valid JSON: ${(e as Error).message}.`, { cause: e })
  }
  if (card === null || typeof card !== 'object' || Array.isArray(card)) {
    if (!strict) return null
    throw new StudioError('BAD_INPUT', `${where} is not a JSON object.`)
  }
  const c = card as Record<string, unknown>
  if (typeof c.sha256 === 'string' && c.sha256 !== sha256) {
    if (!strict) return null
    throw new StudioError('BAD_INPUT', `${where} describes another file (its sha256 is not the model's).`)
  }
  // A JSON beside a model is not always a card (Keras/TF.js configs): without a hash, it must say how to feed.
  if (!strict && typeof c.sha256 !== 'string' && c.preprocessing === undefined) return null
  const hints = hintsFromCard(c, where)
  if (strict && hints.settings === undefined && hints.labels === undefined && hints.dataset === undefined) {
    throw new StudioError('BAD_INPUT', `${where} has no preprocessing, labels or dataset.`)
  }
  return { card: c, hints }
}

/** Reads a card file (see parseCard). */
export async function readSidecar(path: string, sha256: string, strict: boolean): Promise<{ card: Record<string, unknown>; hints: FeedHints } | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if (!strict) return null
    throw new StudioError('FILE_NOT_FOUND', `Model card ${path} cannot be read; check the path.`, { cause: e })
  }
  return parseCard(text, sha256, `Model card ${basename(path)}`, strict)
}

/** `<name>.json` beside `<name>.onnx`, when it is a card for this file. */
export async function sidecarBeside(modelPath: string, sha256: string): Promise<{ card: Record<string, unknown>; hints: FeedHints } | null> {
  const candidate = join(dirname(modelPath), `${basename(modelPath, '.onnx')}.json`)
  if (!existsSync(candidate)) return null
  try {
    return await readSidecar(candidate, sha256, false)
  } catch {
    // A broken card beside a model never blocks importing the model itself.
    return null
  }
}
