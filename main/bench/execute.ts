/**
 * Executes one run on its device: a latency benchmark or an accuracy evaluation. Samples are
 * handed to the store chunk by chunk while the device measures.
 */
import { StudioError, toStudioError } from '../../common/errors.js'
import { noiseWarnings, summarize } from '../../common/stats.js'
import {
  DEFAULT_LATENCY_SPEC,
  type BenchResult,
  type EvalResult,
  type PreprocessSpec,
} from '../../common/types.js'
import type { Deployment } from '../../devices/device.js'
import { resolveDataset } from '../data/datasets.js'
import { evaluatedCount } from '../data/batches.js'
import type { Dataset } from '../data/dataset.js'
import { evaluateOn, summarise } from '../data/evaluate.js'
import { effectiveLabels, feedOf, specFor, type ModelFeed } from '../model-feed.js'
import type { RunContext, RunSpec } from './run-spec.js'

export async function executeRun(spec: RunSpec, ctx: RunContext): Promise<BenchResult | EvalResult> {
  const model = ctx.store.getModel(spec.modelId)
  if (!model) throw new StudioError('NOT_FOUND', `No model with id ${spec.modelId} in the store.`)
  if (model.recipe?.method === 'early-exit') {
    throw new StudioError(
      'BAD_INPUT',
      `${model.name} is an early-exit operating point: what it costs depends on which inputs stop early, so it is measured by 'edgebench early-exit' on its parent (or the Early-exit panel), not by a plain ${spec.kind} run.`,
    )
  }
  const device = ctx.devices.get(spec.deviceName)
  const env = await device.probe(ctx.signal)
  ctx.store.startRun(ctx.runId, env)
  ctx.onProgress({ phase: 'prepare', done: 0, total: 1, fraction: 0, message: `loading ${model.name}` })
  const dep = await device.prepare(
    { name: model.name, path: model.path, sha256: model.sha256 },
    spec.session,
    ctx.signal,
  )
  if (spec.kind === 'bench') return bench(spec, ctx, dep, env)
  return evaluate(spec, ctx, dep, feedOf(ctx.store, model))
}

async function bench(
  spec: RunSpec,
  ctx: RunContext,
  dep: Deployment,
  env: BenchResult['env'],
): Promise<BenchResult> {
  const device = ctx.devices.get(spec.deviceName)
  const latency = spec.latency ?? DEFAULT_LATENCY_SPEC
  const raw = await device.benchmark(dep, latency, {
    onProgress: ctx.onProgress,
    onSamples: (chunk) => {
      const total = ctx.store.appendSamples(ctx.runId, chunk)
      ctx.onSamples?.(total - chunk.length, chunk)
    },
    signal: ctx.signal,
  })
  const stats = summarize(raw.samplesUs)
  // Device-kind figures only known after measuring (serial: per-window N, elapsed, throughput).
  const envOut = raw.extra ? { ...env, extra: { ...env.extra, ...raw.extra } } : env
  const warnings = noiseWarnings({
    stats,
    firstInferenceUs: raw.firstInferenceUs,
    loadAverage: env.loadAverage,
    cores: env.cores,
    governor: env.governor,
  })
  return {
    model: dep.model.name,
    latencyUs: stats,
    firstInferenceUs: raw.firstInferenceUs,
    sessionCreateMs: raw.sessionCreateMs,
    memory: raw.memory,
    warnings,
    env: envOut,
    session: dep.session,
    spec: latency,
    ...(raw.profile ? { profile: raw.profile } : {}),
    runId: ctx.runId,
  }
}

async function evaluate(spec: RunSpec, ctx: RunContext, dep: Deployment, feed: ModelFeed): Promise<EvalResult> {
  const device = ctx.devices.get(spec.deviceName)
  const configured = ctx.store.getDevice(spec.deviceName)?.config.dataset
  const datasetName = spec.dataset ?? (typeof configured === 'string' ? configured : undefined) ?? feed.dataset ?? 'fashion-mnist'
  const dataset = await resolveDataset(datasetName, { split: spec.split ?? feed.split ?? 'test' })
  const input = dep.inputs[0]
  if (!input) throw new StudioError('MODEL_INVALID', `Model ${dep.model.name} has no inputs.`)
  const override = spec.preprocessing
  const pre: PreprocessSpec = specFor(input, feed, override)
  const labels = effectiveLabels(feed, override)
  const output = override?.settings?.output ?? feed.preprocess?.settings.output
  let total = 0
  try {
    total = evaluatedCount(dataset, spec.limit)
    const result = await evaluateOn(device, dep, dataset, pre, {
      ...(labels ? { labels } : {}),
      ...(output !== undefined ? { output } : {}),
      ...(spec.batchSize !== undefined ? { batchSize: spec.batchSize } : {}),
      ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
      onProgress: ctx.onProgress,
      signal: ctx.signal,
      onScores: (offset, scores, classes) => ctx.store.appendPredictions(ctx.runId, offset, scores, classes),
    })
    return { ...result, model: dep.model.name, runId: ctx.runId }
  } catch (e) {
    throw keepPartial(e, ctx, dep, dataset, pre, total)
  }
}

/**
 * After a failed evaluation: the accuracy of the predictions stored so far (a contiguous prefix of
 * the samples) becomes the run's partial result, and the error says how much was kept.
 */
function keepPartial(
  e: unknown,
  ctx: RunContext,
  dep: Deployment,
  dataset: Dataset,
  pre: PreprocessSpec,
  total: number,
): StudioError {
  const err = toStudioError(e)
  let kept = 0
  try {
    const stored = ctx.store.getPredictions(ctx.runId)
    while (kept < stored.indices.length && stored.indices[kept] === kept) kept++
    kept = Math.min(kept, total)
    if (kept === 0 || stored.classes !== dataset.classes.length) return err
    const partial = summarise(dep, dataset, pre, stored.scores.subarray(0, kept * stored.classes), stored.classes)
    ctx.setPartial?.({ ...partial, partialOf: total, runId: ctx.runId })
    return new StudioError(
      err.code,
      `${err.message} Kept ${kept.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} predictions ` +
        `(top-1 ${(partial.top1 * 100).toFixed(2)} % so far).`,
      { cause: e },
    )
  } catch {
    return err
  }
}
