/**
 * Compression as every side sees it: the calibrators and defaults, the default sweep grid, recipe
 * labels, and the shapes of what a derivation and a sweep report. No zod here (the schema is in
 * common/recipe.ts), so the renderer can import this without bundling the validator.
 */
import type { Recipe, RecipeInput } from './recipe.js'

export type Calibrator = 'minmax' | 'percentile' | 'entropy'
export const CALIBRATORS = ['minmax', 'percentile', 'entropy'] as const satisfies readonly Calibrator[]

/** Channel importance for structured pruning (activation: mean |x| on calibration data). */
export const CRITERIA = ['l1', 'activation', 'bn-scale', 'bn-activation'] as const
export type Criterion = (typeof CRITERIA)[number]
/** How pruned layers are refitted: least squares, bias compensation, or not at all. */
export const RECOVER_METHODS = ['ls', 'bias', 'none'] as const

/** The defaults recipes take when a parameter is left out (the schema applies them). */
export const RECIPE_DEFAULTS = {
  calibrator: 'minmax',
  perChannel: true,
  activationType: 'uint8',
  samples: 500,
  criterion: 'l1',
  scope: 'global',
} as const

/** Suggested starting points where the recipe itself has no default (the UI's initial values). */
export const SUGGESTED = { ratio: 0.5, sparsity: 0.8 } as const

/** The default grid (issue: fp16, int8 dynamic, int8 static × 3 calibrators, structured, unstructured). */
export const DEFAULT_SWEEP: readonly RecipeInput[] = [
  { method: 'fp16' },
  { method: 'int8-dynamic' },
  { method: 'int8-static', calibrator: 'minmax' },
  { method: 'int8-static', calibrator: 'percentile' },
  { method: 'int8-static', calibrator: 'entropy' },
  // Structured points get least-squares recovery when the model has calibration data; one point
  // without shows what recovery buys, one MACs target what per-group ratios do.
  { method: 'prune-structured', ratio: 0.25 },
  { method: 'prune-structured', ratio: 0.5 },
  { method: 'prune-structured', ratio: 0.75 },
  { method: 'prune-structured', ratio: 0.5, recover: 'none' },
  { method: 'prune-structured', targetMacs: 0.5 },
  { method: 'prune-unstructured', sparsity: 0.5 },
  { method: 'prune-unstructured', sparsity: 0.8 },
  { method: 'prune-unstructured', sparsity: 0.9 },
]

/** A short, file-name-safe label: "int8-minmax", "pruned-s50". Missing parameters read as their defaults. */
export function recipeLabel(r: Recipe | RecipeInput): string {
  const d = RECIPE_DEFAULTS
  switch (r.method) {
    case 'fp16':
      return 'fp16'
    case 'int8-dynamic':
      return `int8-dynamic${(r.perChannel ?? d.perChannel) ? '' : '-pt'}`
    case 'int8-static':
      return `int8-${r.calibrator ?? d.calibrator}${(r.perChannel ?? d.perChannel) ? '' : '-pt'}${r.activationType === 'int8' ? '-s8' : ''}`
    case 'prune-structured': {
      const criterion = r.criterion ?? d.criterion
      const size = r.targetMacs !== undefined ? `m${Math.round(r.targetMacs * 100)}` : `s${Math.round((r.ratio ?? 0) * 100)}`
      return `pruned-${size}${criterion === 'l1' ? '' : `-${criterion}`}${r.recover ? `-${r.recover}` : ''}`
    }
    case 'prune-unstructured':
      return `pruned-u${Math.round(r.sparsity * 100)}${(r.scope ?? d.scope) === 'global' ? '' : '-layer'}`
  }
}

const METHOD_TITLES: Record<string, string> = {
  'fp16': 'FP16',
  'int8-dynamic': 'INT8 dynamic',
  'int8-static': 'INT8 static',
  'prune-structured': 'Structured pruning',
  'prune-unstructured': 'Unstructured pruning',
  'external': 'Made elsewhere',
}

export function methodTitle(method: string): string {
  return METHOD_TITLES[method] ?? method
}

const pct = (v: unknown): string | null => (typeof v === 'number' ? `${Math.round(v * 100)} %` : null)

/**
 * A stored recipe (models.recipe: method + params) as one line for lists: "INT8 static · minmax ·
 * per-channel · uint8 · 500 samples". Unknown fields are ignored: older rows still read.
 */
export function describeRecipe(recipe: { method: string; params: Record<string, unknown> } | null): string {
  if (!recipe) return ''
  const p = recipe.params
  const parts = [methodTitle(recipe.method)]
  switch (recipe.method) {
    case 'int8-static':
      parts.push(String(p.calibrator ?? RECIPE_DEFAULTS.calibrator))
      parts.push(p.perChannel === false ? 'per-tensor' : 'per-channel')
      parts.push(String(p.activationType ?? RECIPE_DEFAULTS.activationType))
      if (typeof p.samples === 'number') parts.push(`${p.samples} samples`)
      if (typeof p.calibration === 'string') parts.push(`on ${p.calibration}`)
      break
    case 'int8-dynamic':
      parts.push(p.perChannel === false ? 'per-tensor' : 'per-channel')
      break
    case 'prune-structured':
      parts.push(typeof p.targetMacs === 'number' ? `${pct(p.targetMacs)} of the MACs` : (pct(p.ratio) ?? '?'), String(p.criterion ?? RECIPE_DEFAULTS.criterion))
      if (typeof p.recover === 'string') parts.push(p.recover === 'none' ? 'no recovery' : `recovery ${p.recover}`)
      if (typeof p.calibration === 'string') parts.push(`on ${p.calibration}${typeof p.calibrationSplit === 'string' ? ` ${p.calibrationSplit}` : ''}`)
      break
    case 'external':
      if (typeof p.text === 'string') parts.push(p.text.length > 80 ? `${p.text.slice(0, 79)}…` : p.text)
      break
    case 'prune-unstructured':
      parts.push(`${pct(p.sparsity) ?? '?'} sparse`, String(p.scope ?? RECIPE_DEFAULTS.scope))
      break
  }
  if (Array.isArray(p.exclude) && p.exclude.length > 0) parts.push(`excluding ${p.exclude.length} node${p.exclude.length === 1 ? '' : 's'}`)
  return parts.join(' · ')
}

// ---- what a derivation reports -------------------------------------------------------------------

export interface ModelFigures {
  params: number
  macs: number
  fileBytes: number
  gzipBytes: number
}

/** Output error of one quantized tensor against FP32 on the explanation samples. */
export interface LayerError {
  tensor: string
  cosine: number
  relativeL2: number
}

export interface Fp16Report {
  /** Nodes computing in float16. */
  fp16Nodes: number
  /** Ops left in float32 because the CPU provider has no float16 kernel for them: op → count. */
  blocked: Record<string, number>
  /** Initializers converted to float16. */
  convertedInitializers: number
  castsInserted: number
  notes: string[]
}

/** One prunable group in the sensitivity scan of a MACs target: drift when it alone loses `ratio`. */
export interface SensitivityGroup {
  /** The convs writing the group's channels. */
  name: string
  /** Channel classes in the group (what a ratio is a fraction of). */
  channels: number
  /** Mean KL divergence of the output from the parent's, this group alone pruned at `ratio`. */
  points: { ratio: number; drift: number }[]
  /** The ratio the allocation gave the group. */
  chosen: number
}

export type RecoverMethod = (typeof RECOVER_METHODS)[number]

export interface PruneReport {
  method: 'structured' | 'unstructured'
  /**
   * structured: fraction of output channels removed per prunable group (with a MACs target: of
   * all prunable channels, overall); unstructured: target sparsity
   */
  ratio: number
  /** structured with --target-macs: the fraction of the parent's MACs asked for. */
  targetMacs?: number
  /** structured with --target-macs: the sensitivity scan and the allocation it led to. */
  sensitivity?: { samples: number; groups: SensitivityGroup[] }
  /** structured: how the removed channels were compensated, and on what. */
  recovery?: { method: RecoverMethod; layers: number; biasOnly: number; passes: number; samples: number }
  /** The calibration data the recipe read (never a test split). */
  calibration?: { dataset: string; split: string; samples: number }
  criterion?: Criterion
  scope?: 'global' | 'per-layer'
  /** per pruned layer / group: channels (structured) or non-zero weights (unstructured) before → after */
  layers: { name: string; before: number; after: number }[]
  /** layers left alone because the analysis could not prove pruning them safe, with the reason */
  skipped: { name: string; reason: string }[]
  /** unstructured: the achieved overall sparsity of the prunable weights */
  sparsity?: number
  notes: string[]
}

export interface QuantizationReport {
  /** Nodes ORT runs with integer kernels, after its optimiser. */
  quantizedNodes: { name: string; op: string }[]
  /** Arithmetic nodes that still run in float, with why where the quantizer knows. */
  fallback: { name: string; op: string; reason: string }[]
  /** Float↔int8 conversions left per inference. */
  boundaries: number
  layers: LayerError[]
  agreement: { top1: number; meanCosine: number; samples: number }
  calibration?: { dataset: string; split: string; samples: number; calibrator: string }
  activationType?: 'uint8' | 'int8'
  dynamic: boolean
  /** Layout Transposes ORT added to the quantized graph beyond the parent's. */
  addedTransposes: number
  /** Share of the parent's MACs in grouped/depthwise convolutions. */
  depthwiseMacShare: number
}

export interface VariantReport extends ModelFigures {
  label: string
  recipe: Recipe
  /** The variant file on the engine's machine. */
  file: string
  parent: ModelFigures
  seconds: number
  fp16?: Fp16Report
  quantization?: QuantizationReport
  prune?: PruneReport
  notes: string[]
}

// ---- what a sweep reports ------------------------------------------------------------------------

export interface SweepRow {
  modelId: number | null
  name: string
  label: string
  method: string
  /** The stored recipe of the variant (with the recovery and calibration data it used); null for the parent. */
  recipe?: { method: string; params: Record<string, unknown> } | null
  device: string
  params: number | null
  macs: number | null
  fileBytes: number | null
  gzipBytes: number | null
  p50Us: number | null
  p90Us: number | null
  /** Parent p50 / variant p50 on the same device. */
  speedup: number | null
  top1: number | null
  /** Variant top-1 minus parent top-1 (fraction). */
  top1Delta: number | null
  benchRunId: number | null
  evalRunId: number | null
  error: string | null
  /** For INT8 variants under 1.2× faster: the measured causes (explainSpeed). */
  why: string[]
}

export interface SweepResult {
  parent: string
  rows: SweepRow[]
  variants: VariantReport[]
}
