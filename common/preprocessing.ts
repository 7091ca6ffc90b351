/**
 * How a model wants its input, as stored per model (and inherited by its variants): the presets,
 * the settings a user (or a card, or the ONNX metadata) gives, and the one-line description shown
 * with every accuracy figure. Zod-free so the renderer can use it; validation is in
 * main/data/preprocess-settings.ts. Definitions: docs/measurement.md § Accuracy, docs/preprocessing.md.
 */
import type { PreprocessSpec } from './types.js'

export type Layout = 'NCHW' | 'NHWC'
export type ChannelOrder = 'rgb' | 'bgr' | 'gray'
export type ResizeMethod = 'bilinear' | 'nearest'
/** stretch: to H×W whatever the aspect; crop: keep the aspect, scale the short side, centre-crop. */
export type ResizeMode = 'stretch' | 'crop'
export type InputDtype = 'float32' | 'uint8'

export const LAYOUTS = ['NCHW', 'NHWC'] as const satisfies readonly Layout[]
export const CHANNEL_ORDERS = ['rgb', 'bgr', 'gray'] as const satisfies readonly ChannelOrder[]
export const RESIZE_METHODS = ['bilinear', 'nearest'] as const satisfies readonly ResizeMethod[]
export const RESIZE_MODES = ['stretch', 'crop'] as const satisfies readonly ResizeMode[]
export const INPUT_DTYPES = ['float32', 'uint8'] as const satisfies readonly InputDtype[]

/**
 * What is stored for a model. Every field may be left out: what the model's input says (layout,
 * channels, size, dtype) fills the rest, and scale/mean/std default to [0, 1].
 * x = (pixel · scale − mean[c]) / std[c].
 */
export interface PreprocessSettings {
  scale?: number
  /** One value for every channel, or one per channel. */
  mean?: number[]
  std?: number[]
  layout?: Layout
  channelOrder?: ChannelOrder
  resize?: ResizeMethod
  resizeMode?: ResizeMode
  /** The input size, needed when the model's H and W are dynamic. */
  height?: number
  width?: number
  dtype?: InputDtype
  /** Which output holds the class scores when the model has several. */
  output?: string
}

/** Where a model's preprocessing came from; shown beside it. */
export type PreprocessSource = 'card' | 'metadata' | 'user' | 'detected' | 'override' | 'default'

export const SOURCE_LABELS: Record<PreprocessSource, string> = {
  card: 'from the model card',
  metadata: "from the model's ONNX metadata",
  user: 'set by hand',
  detected: 'auto-detected (a guess)',
  override: 'given for this run',
  default: 'default: nobody set it',
}

/** The preprocessing stored on a model row. */
export interface StoredPreprocess {
  source: PreprocessSource
  settings: PreprocessSettings
}

/** A label file: one class name per model output, in output order. */
export interface StoredLabels {
  names: string[]
  /** Where the names came from (a file name, 'card', 'metadata'). */
  source: string
}

export type PresetId = 'unit' | 'symmetric' | 'imagenet' | 'card'

export interface Preset {
  id: PresetId
  label: string
  /** What the preset sets; 'card' takes them from the model card instead. */
  values: Pick<PreprocessSettings, 'scale' | 'mean' | 'std'> | null
}

/** ImageNet's per-channel statistics of pixels in [0, 1] (torchvision's Normalize). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406]
export const IMAGENET_STD = [0.229, 0.224, 0.225]

export const PRESETS: readonly Preset[] = [
  { id: 'unit', label: '[0, 1]', values: { scale: 1 / 255, mean: [0], std: [1] } },
  { id: 'symmetric', label: '[-1, 1]', values: { scale: 1 / 255, mean: [0.5], std: [0.5] } },
  { id: 'imagenet', label: 'ImageNet mean/std', values: { scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD } },
  { id: 'card', label: 'from model card', values: null },
]

const PRESET_ALIASES: Record<string, PresetId> = {
  unit: 'unit',
  '0,1': 'unit',
  '[0,1]': 'unit',
  '01': 'unit',
  symmetric: 'symmetric',
  '-1,1': 'symmetric',
  '[-1,1]': 'symmetric',
  imagenet: 'imagenet',
  card: 'card',
  'model-card': 'card',
}

/** The preset a name (or one of its aliases: "[0,1]", "-1,1") stands for; null when unknown. */
export function presetById(name: string): Preset | null {
  const id = PRESET_ALIASES[name.trim().toLowerCase().replace(/\s+/g, '')]
  return PRESETS.find((p) => p.id === id) ?? null
}

export const PRESET_NAMES = 'unit ([0, 1]), symmetric ([-1, 1]), imagenet, card'

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b))

function sameList(a: readonly number[], b: readonly number[], channels: number): boolean {
  for (let c = 0; c < channels; c++) {
    if (!near(a[c] ?? a[0] ?? 0, b[c] ?? b[0] ?? 0)) return false
  }
  return true
}

/** The value preset the numbers equal (scale, mean, std), or null. */
export function presetOf(s: { scale: number; mean: number[]; std: number[]; channels: number }): Preset | null {
  for (const p of PRESETS) {
    const v = p.values
    if (!v || v.scale === undefined || !v.mean || !v.std) continue
    if (near(v.scale, s.scale) && sameList(v.mean, s.mean, s.channels) && sameList(v.std, s.std, s.channels)) return p
  }
  return null
}

function num(x: number): string {
  if (near(x, 1 / 255)) return '1/255'
  return String(Number(x.toPrecision(4)))
}

const list = (xs: readonly number[]): string => xs.map(num).join(', ')

/**
 * One line saying exactly how samples were made, e.g. "[0, 1] (scale 1/255, mean 0, std 1) · NCHW
 * gray 28×28 · bilinear stretch · float32". Old results without the newer fields read as the
 * defaults they were made with.
 */
export function describePreprocessing(spec: PreprocessSpec): string {
  const preset = presetOf(spec)
  const values = `scale ${num(spec.scale)}, mean ${list(spec.mean)}, std ${list(spec.std)}`
  const order = spec.channelOrder ?? (spec.channels === 1 ? 'gray' : 'rgb')
  const parts = [
    preset ? `${preset.label} (${values})` : values,
    `${spec.layout} ${order} ${spec.height}×${spec.width}`,
    `${spec.resize ?? 'bilinear'} ${spec.resizeMode ?? 'stretch'}`,
    spec.dtype ?? 'float32',
  ]
  return parts.join(' · ')
}

/** "[0, 1] · set by hand" style label for lists; the full line is describePreprocessing. */
export function preprocessingLabel(spec: PreprocessSpec): string {
  const preset = presetOf(spec)
  const what = preset ? preset.label : `mean ${list(spec.mean)} / std ${list(spec.std)}`
  return `${what} · ${spec.layout}${spec.source ? ` · ${SOURCE_LABELS[spec.source]}` : ''}`
}

/** Parses a label file: one name per line (blank lines and a trailing newline ignored), or a JSON array. */
export function parseLabelText(text: string): string[] {
  const t = text.trim()
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t)
      if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String)
    } catch {
      // not JSON after all: read it as lines
    }
  }
  return t
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/** Accuracy within this factor of chance (1 / classes) gets a warning on the run. */
export const CHANCE_FACTOR = 2

/**
 * A change to a model's preprocessing, labels or dataset (`edgebench model set`, the Models view,
 * the import dialog), or the same as a per-run override. Fields left out keep what is stored.
 */
export interface PreprocessingRequest {
  /** A preset name or alias ('unit', '[0,1]', 'symmetric', 'imagenet', 'card'); explicit values win over it. */
  preset?: string
  settings?: PreprocessSettings
  /** Class names in output order (a label file's lines); null removes the model's own. */
  labels?: string[] | null
  /** Where the names came from (the label file's name), shown beside them. */
  labelsSource?: string
  /** The dataset the model was trained for; null removes it. */
  dataset?: string | null
  /** Start from nothing instead of the settings stored before. */
  replace?: boolean
  /** 'detected': the values are Auto-detect's guess, and are labelled so wherever they show. */
  source?: 'detected'
  /**
   * A model card to attach (zoo format): its preprocessing, labels and dataset fill what the
   * request does not give, and it is stored as the model's card.
   */
  card?: Record<string, unknown>
}

/** How a stored model is fed, as lists and the Models view show it. */
export interface ModelPreprocessing {
  /** The settings in effect ({} = the default) and where they came from. */
  settings: PreprocessSettings
  source: PreprocessSource
  /** The ancestor they are inherited from (a variant), null when the model's own or the default. */
  inheritedFrom: string | null
  /** The full spec on the model's input; null when it cannot be made (see `problem`). */
  spec: PreprocessSpec | null
  /** describePreprocessing(spec), or the problem. */
  summary: string
  /** Why no spec can be made yet (e.g. a dynamic input size nobody gave). */
  problem: string | null
  /** Its label file (own or inherited), null when none. */
  labels: StoredLabels | null
  /** The dataset it was trained for (evaluation and calibration default), own or inherited. */
  dataset: string | null
}
