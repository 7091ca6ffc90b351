/**
 * Makes one compressed variant of a model: applies the recipe, checks the result loads in ONNX
 * Runtime, writes it atomically (temp file + rename, so a failure leaves no partial file), and
 * reports its figures beside the parent's — with the INT8 explanation for quantized variants.
 */
import * as ort from 'onnxruntime-node'
import type { ModelFigures, QuantizationReport, VariantReport } from '../../common/compress.js'
import { StudioError } from '../../common/errors.js'
import type { Progress } from '../../common/types.js'
import type { Batch } from '../../devices/device.js'
import { batches } from '../data/batches.js'
import type { Dataset } from '../data/dataset.js'
import { openCalibrationSet } from '../data/calibration-set.js'
import { preprocessSpecFor } from '../data/preprocess.js'
import type { ModelCard } from '../model-card.js'
import { inspectDecoded } from '../model/inspect.js'
import { encodeModel, loadModel, saveModel } from '../model/onnx-io.js'
import { graphOf, type ModelProto } from '../model/proto.js'
import { dtypeName } from '../model/tensor.js'
import { explainQuantized, runtimeGraph, type RuntimeGraph } from './explain.js'
import { attrInt } from '../model/graph.js'
import { compactGraph } from './compact.js'
import { convertToFp16, type Fp16Report } from './fp16.js'
import { pruneUnstructured, type PruneReport } from './prune.js'
import { pruneWithData, type CalibrationSource } from './prune-derive.js'
import type { InspectResult } from '../../common/types.js'
import { quantizeDynamic } from './quantize-dynamic.js'
import { quantizeStatic } from './quantize-static.js'
import { recipeLabel, type Recipe } from './recipe.js'

const EXPLAIN_SAMPLES = 200
const CALIBRATION_BATCH = 50

export type { ModelFigures, QuantizationReport, VariantReport }

export interface DeriveOptions {
  card?: ModelCard | null
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

/**
 * The dataset calibration reads: the recipe's, else the card's dataset — its calibration or train
 * split, never the test split. Null when neither names one.
 */
async function calibrationSet(recipe: { calibration?: string | undefined }, card: ModelCard | null | undefined): Promise<Dataset | null> {
  const name = recipe.calibration ?? card?.dataset
  return name ? openCalibrationSet(name) : null
}

const NO_CALIBRATION =
  'This model has no model card naming its dataset, so there is nothing to calibrate on. Pass --calibration <dataset name or image folder>.'

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = []
  for await (const b of it) out.push(b)
  return out
}

async function assertLoads(model: ModelProto, label: string): Promise<void> {
  try {
    const s = await ort.InferenceSession.create(encodeModel(model), {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      logSeverityLevel: 4,
    })
    await s.release()
  } catch (e) {
    throw new StudioError(
      'MODEL_INVALID',
      `The ${label} variant does not load in ONNX Runtime (${String(e).split('\n')[0]}), so it was not written. Exclude the failing node (--exclude) or report this model.`,
      { cause: e },
    )
  }
}

function figures(r: { params: number; macs: number; fileBytes: number; gzipBytes: number }): ModelFigures {
  return { params: r.params, macs: r.macs, fileBytes: r.fileBytes, gzipBytes: r.gzipBytes }
}

/** Float arithmetic left in ORT's graph that stands for the parent's nodes (not the quantizer's own). */
function fallbackOf(
  runtime: RuntimeGraph,
  planned: { name: string; op: string; reason: string }[],
  parentNodes: Set<string>,
): QuantizationReport['fallback'] {
  const why = new Map(planned.map((p) => [p.name, p.reason]))
  return runtime.float
    .filter((n) => parentNodes.has(n.name))
    .map((n) => ({
      ...n,
      reason:
        why.get(n.name) === 'excluded'
          ? 'excluded by --exclude'
          : why.has(n.name)
            ? 'no int8 kernel in the quantizer'
            : 'not fused by ONNX Runtime',
    }))
}

/** What applying a recipe made, before the variant is compacted, checked and written. */
interface Made {
  model: ModelProto
  notes: string[]
  fp16?: Fp16Report
  prune?: PruneReport
  quantization?: QuantizationReport
}

type ProgressFn = (phase: Progress['phase'], done: number, total: number, message: string) => void

export async function deriveVariant(
  parentPath: string,
  recipe: Recipe,
  outPath: string,
  opts: DeriveOptions = {},
): Promise<VariantReport> {
  const started = performance.now()
  const label = recipeLabel(recipe)
  const progress: ProgressFn = (phase, done, total, message) =>
    opts.onProgress?.({ phase, done, total, fraction: total > 0 ? done / total : 0, message })
  progress('derive', 0, 1, `reading ${parentPath}`)
  const parent = await loadModel(parentPath)
  const parentInfo = await inspectDecoded(parent, encodeModel(parent))
  const made = await applyRecipe(parent, parentInfo, parentPath, recipe, opts, progress)
  if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled; no variant was written.')
  const compacted = compactGraph(made.model)
  const model = compacted.model
  made.notes.push(
    `File compacted: ${compacted.names} intermediate tensors renamed short (layer names kept), ` +
      `${compacted.constants} Constant nodes stored as initializers, ${compacted.attributes} default Conv attributes left out.`,
  )
  await assertLoads(model, label)
  const info = await inspectDecoded(model, encodeModel(model))
  const outputs = (m: ModelProto): string =>
    graphOf(m)
      .output.map((o) => `${o.name}:${dtypeName(o.type?.tensorType?.elemType ?? 0)}`)
      .join(',')
  if (outputs(model) !== outputs(parent)) {
    throw new StudioError(
      'MODEL_INVALID',
      `The ${label} variant changed the model's outputs (${outputs(parent)} → ${outputs(model)}); it was not written.`,
    )
  }
  await saveModel(model, outPath)
  progress('done', 1, 1, `wrote ${outPath}`)
  return {
    label,
    recipe,
    file: outPath,
    ...figures(info),
    parent: figures(parentInfo),
    seconds: (performance.now() - started) / 1000,
    ...(made.fp16 ? { fp16: made.fp16 } : {}),
    ...(made.quantization ? { quantization: made.quantization } : {}),
    ...(made.prune ? { prune: made.prune } : {}),
    notes: made.notes,
  }
}

/** One function per method. */
async function applyRecipe(
  parent: ModelProto,
  parentInfo: InspectResult,
  parentPath: string,
  recipe: Recipe,
  opts: DeriveOptions,
  progress: ProgressFn,
): Promise<Made> {
  switch (recipe.method) {
    case 'fp16': {
      const { model, report } = convertToFp16(parent)
      return { model, notes: [...report.notes], fp16: report }
    }
    case 'prune-structured':
      return derivePruned(parent, parentInfo, parentPath, recipe, opts, progress)
    case 'prune-unstructured': {
      const { model, report } = pruneUnstructured(parent, { sparsity: recipe.sparsity, scope: recipe.scope })
      return { model, notes: [...report.notes], prune: report }
    }
    default:
      return deriveQuantized(parent, parentInfo, parentPath, recipe, opts, progress)
  }
}

/** The float32 image input calibration feeds, or BAD_INPUT naming what is wrong with it. */
function floatInput(info: InspectResult, parentPath: string, what: string): InspectResult['inputs'][number] {
  const input = info.inputs[0]
  if (!input) throw new StudioError('MODEL_INVALID', `${parentPath} has no input.`)
  if (input.dtype !== 'float32') {
    throw new StudioError('BAD_INPUT', `${parentPath} takes ${input.dtype} input; only float32-input models can be ${what} here.`)
  }
  return input
}

function batchSizeOf(input: InspectResult['inputs'][number]): number {
  return typeof input.shape[0] === 'number' && input.shape[0] > 0 ? input.shape[0] : CALIBRATION_BATCH
}

/** Structured pruning: with calibration data (the recipe's or the card's dataset) when there is some. */
async function derivePruned(
  parent: ModelProto,
  parentInfo: InspectResult,
  parentPath: string,
  recipe: Extract<Recipe, { method: 'prune-structured' }>,
  opts: DeriveOptions,
  progress: ProgressFn,
): Promise<Made> {
  const input = parentInfo.inputs[0]
  const wantsData = recipe.recover !== 'none' || recipe.criterion === 'activation' || recipe.targetMacs !== undefined
  // Asked for explicitly, data must be usable; by default (recovery when data exists) it is optional.
  const explicit = recipe.calibration !== undefined || (recipe.recover ?? 'none') !== 'none' || recipe.criterion === 'activation' || recipe.targetMacs !== undefined
  if (wantsData && explicit) floatInput(parentInfo, parentPath, 'calibrated')
  const data = wantsData && input?.dtype === 'float32' ? await calibrationSet(recipe, opts.card) : null
  const pre = data && input ? preprocessSpecFor(opts.card?.preprocessing ?? input) : null
  const source: CalibrationSource | null =
    data && input && pre
      ? {
          dataset: data.name,
          split: data.split,
          count: data.count,
          batches: (limit) =>
            batches(data, pre, batchSizeOf(input), {
              limit: Math.min(limit, data.count),
              ...(opts.signal ? { signal: opts.signal } : {}),
            }),
        }
      : null
  const { model, report } = await pruneWithData(parent, {
    ...(recipe.ratio !== undefined ? { ratio: recipe.ratio } : {}),
    ...(recipe.targetMacs !== undefined ? { targetMacs: recipe.targetMacs } : {}),
    criterion: recipe.criterion,
    ...(recipe.recover ? { recover: recipe.recover } : {}),
    calibration: source,
    ...(recipe.samples ? { samples: recipe.samples } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onProgress: (done, total, message) => progress('calibrate', done, total, message),
  })
  return { model, notes: [...report.notes], prune: report }
}

/** INT8 static or dynamic, with the explanation of what runs int8 in ONNX Runtime. */
async function deriveQuantized(
  parent: ModelProto,
  parentInfo: InspectResult,
  parentPath: string,
  recipe: Extract<Recipe, { method: 'int8-static' | 'int8-dynamic' }>,
  opts: DeriveOptions,
  progress: ProgressFn,
): Promise<Made> {
  const input = floatInput(parentInfo, parentPath, 'quantized')
  const data = await calibrationSet(recipe.method === 'int8-static' ? recipe : {}, opts.card)
  if (!data) throw new StudioError('BAD_INPUT', NO_CALIBRATION)
  const pre = preprocessSpecFor(opts.card?.preprocessing ?? input)
  const samples = recipe.method === 'int8-static' ? Math.min(recipe.samples, data.count) : Math.min(EXPLAIN_SAMPLES, data.count)
  const batchSize = batchSizeOf(input)
  const signal = opts.signal ? { signal: opts.signal } : {}
  const explainSet = await collect(batches(data, pre, batchSize, { limit: Math.min(EXPLAIN_SAMPLES, data.count), ...signal }))
  let model: ModelProto
  let tensors = new Map<string, string>()
  let planned: { name: string; op: string; reason: string }[] = []
  if (recipe.method === 'int8-static') {
    progress('calibrate', 0, samples, `calibrating on ${samples} samples of ${data.name} (${recipe.calibrator})`)
    const r = await quantizeStatic(parent, batches(data, pre, batchSize, { limit: samples, ...signal }), {
      calibrator: recipe.calibrator,
      perChannel: recipe.perChannel,
      activationType: recipe.activationType,
      exclude: recipe.exclude,
      ...signal,
      onBatch: (done) => progress('calibrate', done, samples, `calibrating: ${done} of ${samples} samples`),
    })
    model = r.model
    tensors = r.dequantOf
    planned = r.plan.floatNodes
  } else {
    const r = quantizeDynamic(parent, { perChannel: recipe.perChannel, exclude: recipe.exclude })
    model = r.model
    planned = r.floatNodes
  }
  progress('derive', 0, 1, 'explaining: runtime graph, per-layer error, agreement with FP32')
  await assertLoads(model, recipeLabel(recipe))
  const ex = await explainQuantized(parent, model, explainSet, tensors)
  const parentRuntime = await runtimeGraph(parent)
  const layerMacs = new Map(parentInfo.layers.map((l) => [l.name, l.macs]))
  const grouped = graphOf(parent).node.filter((n) => n.opType === 'Conv' && attrInt(n, 'group', 1) > 1)
  const groupedMacs = grouped.reduce((a, n) => a + (layerMacs.get(n.name) ?? 0), 0)
  const quantization: QuantizationReport = {
    dynamic: recipe.method === 'int8-dynamic',
    addedTransposes: Math.max(0, ex.runtime.transposes - parentRuntime.transposes),
    depthwiseMacShare: parentInfo.macs > 0 ? groupedMacs / parentInfo.macs : 0,
    quantizedNodes: ex.runtime.quantized,
    fallback: fallbackOf(ex.runtime, planned, new Set(graphOf(parent).node.map((n) => n.name))),
    boundaries: ex.runtime.boundaries,
    layers: ex.layers,
    agreement: ex.agreement,
    ...(recipe.method === 'int8-static'
      ? {
          calibration: { dataset: data.name, split: data.split, samples, calibrator: recipe.calibrator },
          activationType: recipe.activationType,
        }
      : {}),
  }
  return { model, notes: [], quantization }
}
