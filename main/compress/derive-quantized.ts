/**
 * The INT8 step of a derivation: the samples it needs (calibration and explanation sets), the
 * quantization itself (static or dynamic), and the report that explains what ONNX Runtime runs.
 * Each function does one of those; derive.ts strings them together.
 */
import type { QuantizationReport } from '../../common/compress.js'
import type { Batch } from '../../devices/device.js'
import { attrInt } from '../model/graph.js'
import { graphOf, type ModelProto } from '../model/proto.js'
import { assertLoads, type DeriveStep, type Parent } from './derive-parent.js'
import { sampleBatches as feed, sampleSource, type SampleSource } from './derive-samples.js'
import { explainQuantized, runtimeGraph, type RuntimeGraph } from './explain.js'
import { quantizeDynamic } from './quantize-dynamic.js'
import { quantizeStatic } from './quantize-static.js'
import { recipeLabel, type Recipe } from './recipe.js'

const EXPLAIN_SAMPLES = 200

type QuantRecipe = Extract<Recipe, { method: 'int8-static' | 'int8-dynamic' }>

/** A node the quantizer kept in float, and why. */
type Planned = { name: string; op: string; reason: string }

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = []
  for await (const b of it) out.push(b)
  return out
}

/** The quantized graph, the dequantized tensor of each quantized one, and the nodes left in float. */
async function quantize(
  parent: Parent,
  recipe: QuantRecipe,
  src: SampleSource,
  step: DeriveStep,
): Promise<{ model: ModelProto; tensors: Map<string, string>; planned: Planned[] }> {
  if (recipe.method === 'int8-dynamic') {
    const r = quantizeDynamic(parent.model, { perChannel: recipe.perChannel, exclude: recipe.exclude })
    return { model: r.model, tensors: new Map(), planned: r.floatNodes }
  }
  const samples = Math.min(recipe.samples, src.data.count)
  step.report('calibrate', 0, samples, `calibrating on ${samples} samples of ${src.data.name} (${recipe.calibrator})`)
  const r = await quantizeStatic(parent.model, feed(src, samples, step.signal), {
    calibrator: recipe.calibrator,
    perChannel: recipe.perChannel,
    activationType: recipe.activationType,
    exclude: recipe.exclude,
    ...(step.signal ? { signal: step.signal } : {}),
    onBatch: (done) => step.report('calibrate', done, samples, `calibrating: ${done} of ${samples} samples`),
  })
  return { model: r.model, tensors: r.dequantOf, planned: r.plan.floatNodes }
}

/** Float arithmetic left in ORT's graph that stands for the parent's nodes (not the quantizer's own). */
function fallbackOf(runtime: RuntimeGraph, planned: Planned[], parentNodes: Set<string>): QuantizationReport['fallback'] {
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

/** Share of the parent's MACs spent in grouped (depthwise) convolutions. */
function depthwiseShare(parent: Parent): number {
  const layerMacs = new Map(parent.info.layers.map((l) => [l.name, l.macs]))
  const grouped = graphOf(parent.model).node.filter((n) => n.opType === 'Conv' && attrInt(n, 'group', 1) > 1)
  const macs = grouped.reduce((a, n) => a + (layerMacs.get(n.name) ?? 0), 0)
  return parent.info.macs > 0 ? macs / parent.info.macs : 0
}

/** What ORT runs of the quantized model, how far each layer drifts, and agreement with FP32. */
async function explainQuantization(
  parent: Parent,
  recipe: QuantRecipe,
  q: { model: ModelProto; tensors: Map<string, string>; planned: Planned[] },
  explainSet: Batch[],
  src: SampleSource,
): Promise<QuantizationReport> {
  const ex = await explainQuantized(parent.model, q.model, explainSet, q.tensors)
  const parentRuntime = await runtimeGraph(parent.model)
  return {
    dynamic: recipe.method === 'int8-dynamic',
    addedTransposes: Math.max(0, ex.runtime.transposes - parentRuntime.transposes),
    depthwiseMacShare: depthwiseShare(parent),
    quantizedNodes: ex.runtime.quantized,
    fallback: fallbackOf(ex.runtime, q.planned, new Set(graphOf(parent.model).node.map((n) => n.name))),
    boundaries: ex.runtime.boundaries,
    layers: ex.layers,
    agreement: ex.agreement,
    ...(recipe.method === 'int8-static'
      ? {
          calibration: {
            dataset: src.data.name,
            split: src.data.split,
            samples: Math.min(recipe.samples, src.data.count),
            calibrator: recipe.calibrator,
          },
          activationType: recipe.activationType,
        }
      : {}),
  }
}

/** The INT8 variant of the parent and its quantization report. */
export async function quantizedVariant(
  parent: Parent,
  recipe: QuantRecipe,
  step: DeriveStep,
): Promise<{ model: ModelProto; report: QuantizationReport }> {
  const src = await sampleSource(parent, recipe.calibration, step.feed, 'quantized')
  const explainSet = await collect(feed(src, Math.min(EXPLAIN_SAMPLES, src.data.count), step.signal))
  const q = await quantize(parent, recipe, src, step)
  step.report('derive', 0, 1, 'explaining: runtime graph, per-layer error, agreement with FP32')
  await assertLoads(q.model, recipeLabel(recipe))
  return { model: q.model, report: await explainQuantization(parent, recipe, q, explainSet, src) }
}
