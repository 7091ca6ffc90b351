/**
 * Makes one compressed variant of a model: applies the recipe, checks the result loads in ONNX
 * Runtime, writes it atomically (temp file + rename, so a failure leaves no partial file), and
 * reports its figures beside the parent's — with the INT8 explanation for quantized variants.
 *
 * This runs ONNX Runtime (calibration, explanation, load checks), so the studio calls it in the
 * engine worker process (main/worker), never in the process that owns the window.
 */
import type { ModelFigures, QuantizationReport, VariantReport } from '../../common/compress.js'
import { StudioError } from '../../common/errors.js'
import type { InspectResult, PreprocessSpec, Progress } from '../../common/types.js'
import { encodeModel, saveModel } from '../model/onnx-io.js'
import { graphOf, type ModelProto } from '../model/proto.js'
import { dtypeName } from '../model/tensor.js'
import { compactGraph } from './compact.js'
import { convertToFp16, type Fp16Report } from './fp16.js'
import { pruneUnstructured, type PruneReport } from './prune.js'
import { assertLoads, inspectHere, readParent, type DeriveStep, type Parent, type Report } from './derive-parent.js'
import { derivePruned } from './derive-pruned.js'
import { quantizedVariant } from './derive-quantized.js'
import { recipeLabel, type Recipe } from './recipe.js'

export type { ModelFigures, QuantizationReport, VariantReport }

/**
 * Where calibration samples come from and how they are fed: the parent's dataset and resolved
 * preprocessing (plain data, so it crosses to the engine worker). A null spec feeds the default.
 */
export interface CalibrationFeed {
  dataset: string | null
  spec: PreprocessSpec | null
}

export interface DeriveOptions {
  feed?: CalibrationFeed | null
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

/** A written variant: its report and the full inspection of the file (so nobody inspects it again). */
export interface DerivedFile {
  report: VariantReport
  inspect: InspectResult
}

/** What a recipe step made: the variant graph, the step's own report, and notes for the user. */
interface Applied {
  model: ModelProto
  notes: string[]
  fp16?: Fp16Report
  prune?: PruneReport
  quantization?: QuantizationReport
}

function reporter(opts: DeriveOptions): Report {
  return (phase, done, total, message) =>
    opts.onProgress?.({ phase, done, total, fraction: total > 0 ? done / total : 0, message })
}

/** Runs the recipe's method on the parent graph. */
async function applyRecipe(parent: Parent, recipe: Recipe, step: DeriveStep): Promise<Applied> {
  switch (recipe.method) {
    case 'fp16': {
      const { model, report } = convertToFp16(parent.model)
      return { model, notes: [...report.notes], fp16: report }
    }
    case 'prune-structured': {
      const { model, report } = await derivePruned(parent, recipe, step)
      return { model, notes: [...report.notes], prune: report }
    }
    case 'prune-unstructured': {
      const { model, report } = pruneUnstructured(parent.model, { sparsity: recipe.sparsity, scope: recipe.scope })
      return { model, notes: [...report.notes], prune: report }
    }
    case 'int8-static':
    case 'int8-dynamic': {
      const { model, report } = await quantizedVariant(parent, recipe, step)
      return { model, notes: [], quantization: report }
    }
  }
}

const outputsOf = (m: ModelProto): string =>
  graphOf(m)
    .output.map((o) => `${o.name}:${dtypeName(o.type?.tensorType?.elemType ?? 0)}`)
    .join(',')

/** Compacts, checks (loads in ORT, same outputs as the parent) and writes the variant atomically. */
async function writeVariant(
  parent: Parent,
  made: ModelProto,
  label: string,
  outPath: string,
): Promise<{ info: InspectResult; note: string }> {
  const compacted = compactGraph(made)
  const model = compacted.model
  const note =
    `File compacted: ${compacted.names} intermediate tensors renamed short (layer names kept), ` +
    `${compacted.constants} Constant nodes stored as initializers, ${compacted.attributes} default Conv attributes left out.`
  await assertLoads(model, label)
  if (outputsOf(model) !== outputsOf(parent.model)) {
    throw new StudioError(
      'MODEL_INVALID',
      `The ${label} variant changed the model's outputs (${outputsOf(parent.model)} → ${outputsOf(model)}); it was not written.`,
    )
  }
  const info = await inspectHere(model, encodeModel(model))
  await saveModel(model, outPath)
  return { info, note }
}

function figures(r: { params: number; macs: number; fileBytes: number; gzipBytes: number }): ModelFigures {
  return { params: r.params, macs: r.macs, fileBytes: r.fileBytes, gzipBytes: r.gzipBytes }
}

/** Derives the variant, writes it to `outPath`, and answers its report and inspection. */
export async function deriveVariantFile(
  parentPath: string,
  recipe: Recipe,
  outPath: string,
  opts: DeriveOptions = {},
): Promise<DerivedFile> {
  const started = performance.now()
  const label = recipeLabel(recipe)
  const report = reporter(opts)
  report('derive', 0, 1, `reading ${parentPath}`)
  const parent = await readParent(parentPath)
  const applied = await applyRecipe(parent, recipe, { feed: opts.feed, signal: opts.signal, report })
  if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled; no variant was written.')
  const { info, note } = await writeVariant(parent, applied.model, label, outPath)
  report('done', 1, 1, `wrote ${outPath}`)
  const variant: VariantReport = {
    label,
    recipe,
    file: outPath,
    ...figures(info),
    parent: figures(parent.info),
    seconds: (performance.now() - started) / 1000,
    ...(applied.fp16 ? { fp16: applied.fp16 } : {}),
    ...(applied.quantization ? { quantization: applied.quantization } : {}),
    ...(applied.prune ? { prune: applied.prune } : {}),
    notes: [...applied.notes, note],
  }
  return { report: variant, inspect: info }
}

/** Derives the variant and answers its report (see deriveVariantFile). */
export async function deriveVariant(
  parentPath: string,
  recipe: Recipe,
  outPath: string,
  opts: DeriveOptions = {},
): Promise<VariantReport> {
  return (await deriveVariantFile(parentPath, recipe, outPath, opts)).report
}
