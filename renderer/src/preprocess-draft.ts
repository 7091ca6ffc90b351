/**
 * The preprocessing form's state and what it sends: a draft the import dialog and the Models view
 * edit (text fields as typed, "Auto" where the model's input decides), turned into one
 * PreprocessingRequest. Whether the values fit the model is the engine's check (BAD_INPUT shown in
 * the dialog); only what cannot be sent at all (a mean that is not numbers) is caught here.
 */
import {
  presetOf,
  type ChannelOrder,
  type Layout,
  type ModelPreprocessing,
  type PreprocessingRequest,
  type PreprocessSettings,
  type ResizeMethod,
  type ResizeMode,
} from '../../common/preprocessing.js'

/** 'model' = leave it to the model (card, ONNX metadata, else [0, 1]); 'custom' = the fields below. */
export type DraftPreset = 'model' | 'unit' | 'symmetric' | 'imagenet' | 'card' | 'custom'

export interface PreprocessDraft {
  preset: DraftPreset
  scale: string
  mean: string
  std: string
  layout: Layout | 'auto'
  channelOrder: ChannelOrder | 'auto'
  resize: ResizeMethod
  resizeMode: ResizeMode
  height: number | null
  width: number | null
  /** '' = the only output, or the one shaped [N, classes]. */
  output: string
  /** '' = none. */
  dataset: string
  /** Names from a label file picked in the form; null = keep what the model has. */
  labels: { names: string[]; source: string } | null
  /** The model's own label file is to be removed. */
  removeLabels: boolean
  /** Auto-detect's values were applied (stored labelled as a guess). */
  detected: boolean
}

export const PRESET_OPTIONS: readonly { value: DraftPreset; label: string }[] = [
  { value: 'model', label: "Model's own (card or ONNX metadata), else [0, 1]" },
  { value: 'unit', label: '[0, 1]' },
  { value: 'symmetric', label: '[-1, 1]' },
  { value: 'imagenet', label: 'ImageNet mean/std' },
  { value: 'card', label: 'From model card' },
  { value: 'custom', label: 'Custom values' },
]

const list = (xs: readonly number[] | undefined): string => (xs ?? []).map((x) => String(Number(x.toPrecision(6)))).join(', ')

function scaleText(s: number | undefined): string {
  if (s === undefined) return '1/255'
  return Math.abs(s - 1 / 255) < 1e-9 ? '1/255' : String(s)
}

/** A fresh draft: nothing chosen (the import dialog). */
export function emptyDraft(): PreprocessDraft {
  return {
    preset: 'model',
    scale: '1/255',
    mean: '0',
    std: '1',
    layout: 'auto',
    channelOrder: 'auto',
    resize: 'bilinear',
    resizeMode: 'stretch',
    height: null,
    width: null,
    output: '',
    dataset: '',
    labels: null,
    removeLabels: false,
    detected: false,
  }
}

/** The draft showing what a model is fed now (the Models view's editor). */
export function draftFrom(p: ModelPreprocessing | undefined): PreprocessDraft {
  const d = emptyDraft()
  if (!p) return d
  const s = p.settings
  const spec = p.spec
  d.scale = scaleText(spec?.scale ?? s.scale)
  d.mean = list(spec?.mean ?? s.mean) || '0'
  d.std = list(spec?.std ?? s.std) || '1'
  const preset = spec ? presetOf(spec) : null
  // What the model itself says (card, metadata) stays 'model'/'card', so saving keeps following it.
  d.preset = p.source === 'default' || p.source === 'metadata' ? 'model' : p.source === 'card' ? 'card' : (preset?.id ?? 'custom')
  d.layout = s.layout ?? 'auto'
  d.channelOrder = s.channelOrder ?? 'auto'
  d.resize = s.resize ?? 'bilinear'
  d.resizeMode = s.resizeMode ?? 'stretch'
  d.height = s.height ?? null
  d.width = s.width ?? null
  d.output = s.output ?? ''
  d.dataset = p.dataset ?? ''
  return d
}

/** "0.485, 0.456 0.406" → numbers; a token that is not a number throws, naming the field. */
function numbers(what: string, text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter((t) => t.length > 0)
  const out = parts.map(Number)
  if (parts.length === 0 || out.some((n) => !Number.isFinite(n))) {
    throw new Error(`${what} must be 1 to 3 numbers separated by commas, e.g. 0.485, 0.456, 0.406.`)
  }
  return out
}

function scaleFrom(text: string): number {
  const m = /^\s*([\d.eE+-]+)\s*\/\s*([\d.eE+-]+)\s*$/.exec(text)
  const v = m ? Number(m[1]) / Number(m[2]) : Number(text)
  if (!Number.isFinite(v) || v <= 0 || text.trim() === '') throw new Error(`Scale must be a number greater than 0, e.g. 1/255.`)
  return v
}

/**
 * What the draft asks for. The editor sends `replace`, so what the form shows is exactly what is
 * stored ('model' = back to the model's card or ONNX metadata).
 */
export function requestFrom(d: PreprocessDraft, opts: { replace: boolean }): PreprocessingRequest {
  const settings: PreprocessSettings = {}
  if (d.preset === 'custom') {
    settings.scale = scaleFrom(d.scale)
    settings.mean = numbers('Mean', d.mean)
    settings.std = numbers('Std', d.std)
  }
  if (d.layout !== 'auto') settings.layout = d.layout
  if (d.channelOrder !== 'auto') settings.channelOrder = d.channelOrder
  if (d.resize !== 'bilinear') settings.resize = d.resize
  if (d.resizeMode !== 'stretch') settings.resizeMode = d.resizeMode
  if (d.height !== null && d.width !== null) {
    settings.height = d.height
    settings.width = d.width
  } else if (d.height !== null || d.width !== null) {
    throw new Error('Give both the height and the width of the input size, or neither.')
  }
  if (d.output) settings.output = d.output
  const req: PreprocessingRequest = {
    ...(d.preset !== 'model' && d.preset !== 'custom' ? { preset: d.preset } : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
    ...(opts.replace ? { replace: true } : {}),
    ...(d.detected ? { source: 'detected' as const } : {}),
    // The editor stores exactly what it shows (an emptied field removes the dataset); an import keeps the card's.
    ...(d.dataset.trim() !== '' ? { dataset: d.dataset.trim() } : opts.replace ? { dataset: null } : {}),
  }
  if (d.labels) {
    req.labels = d.labels.names
    req.labelsSource = d.labels.source
  } else if (d.removeLabels) req.labels = null
  return req
}

/** The dataset a model is evaluated and calibrated on by default: its own (or inherited), else its card's. */
export function modelDataset(m: { preprocessing?: ModelPreprocessing; card: Record<string, unknown> | null }): string | null {
  const d = m.preprocessing?.dataset ?? m.card?.['dataset']
  return typeof d === 'string' && d.length > 0 ? d : null
}
