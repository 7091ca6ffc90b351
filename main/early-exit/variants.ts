/**
 * "Add to Explore": an operating point of a stored early-exit sweep becomes a variant
 * (`resnet8-ee @ t=0.8`) with the runs its sweep measured — a latency run holding the timed
 * samples of that threshold (real control flow on the device) and an accuracy run holding the
 * combined classifier's figures — so it sits on the trade-off chart with everything else.
 *
 * The variant's file is the parent's model with the operating point in its metadata
 * (`edgebench.early_exit`): one file that says how to run it. Its cost depends on the inputs, so
 * it is measured by the early-exit sweep, never by a plain benchmark (execute.ts refuses).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { EarlyExitPoint, EarlyExitResult } from '../../common/early-exit.js'
import { StudioError } from '../../common/errors.js'
import { noiseWarnings, summarize } from '../../common/stats.js'
import type { BenchResult, EvalResult } from '../../common/types.js'
import { sha256File } from '../model-card.js'
import { decodeModel, encodeModel, readModelFile } from '../model/onnx-io.js'
import type { ModelRow, Store } from '../store/store.js'

export const EARLY_EXIT_METHOD = 'early-exit'
export const EARLY_EXIT_METADATA = 'edgebench.early_exit'

export interface OperatingPointHost {
  store: Store
  dataDir: string
}

/** `resnet8-ee @ t=0.8` (maxprob) or `resnet8-ee @ entropy≤0.3`. */
export function operatingPointName(model: string, rule: EarlyExitResult['rule'], t: number): string {
  return `${model} @ ${rule === 'maxprob' ? `t=${t}` : `entropy≤${t}`}`
}

async function writeVariantFile(
  parent: ModelRow,
  r: EarlyExitResult,
  p: EarlyExitPoint,
  dir: string,
  name: string,
): Promise<string> {
  const model = decodeModel(await readModelFile(parent.path), parent.name)
  const point = { threshold: p.threshold, rule: r.rule, exits: r.exits.map((e) => e.name), final: r.final }
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((e) => e.key !== EARLY_EXIT_METADATA),
    { key: EARLY_EXIT_METADATA, value: JSON.stringify(point) },
  ]
  await mkdir(dir, { recursive: true })
  const path = join(dir, `${name.replace(/[^\w.=-]+/g, '_')}.onnx`)
  await writeFile(path, encodeModel(model))
  return path
}

function benchOf(
  r: EarlyExitResult,
  p: EarlyExitPoint,
  samples: Float32Array,
  runId: number,
  name: string,
): BenchResult {
  const stats = summarize(samples)
  return {
    model: name,
    latencyUs: stats,
    // The chain's sessions were warm: there is no first inference of the operating point alone.
    firstInferenceUs: 0,
    sessionCreateMs: 0,
    memory: { peakRssBytes: null, sessionRssBytes: null },
    warnings: noiseWarnings({
      stats,
      firstInferenceUs: 0,
      loadAverage: r.env.loadAverage,
      cores: r.env.cores,
      governor: r.env.governor,
    }),
    env: {
      ...r.env,
      extra: {
        ...r.env.extra,
        earlyExit: { sweepId: r.id, threshold: p.threshold, rule: r.rule, timedExitRate: p.timedExitRate },
      },
    },
    session: r.session,
    spec: r.latency,
    runId,
  }
}

function evalOf(r: EarlyExitResult, p: EarlyExitPoint, runId: number, name: string): EvalResult {
  return {
    model: name,
    dataset: r.dataset,
    split: r.split,
    top1: p.top1,
    top5: p.top5,
    count: r.count,
    perClass: p.perClass,
    confusion: p.confusion,
    preprocessing: r.preprocessing,
    runId,
  }
}

/** Stores the runs of one operating point under `model`, as measured by the sweep. */
function storeRuns(
  store: Store,
  r: EarlyExitResult,
  p: EarlyExitPoint,
  samples: Float32Array,
  model: ModelRow,
): void {
  const device = store.getDevice(r.device)
  if (!device)
    throw new StudioError(
      'NOT_FOUND',
      `The device '${r.device}' of this sweep was removed; its points cannot be added.`,
    )
  const spec = {
    source: EARLY_EXIT_METHOD,
    sweepId: r.id,
    threshold: p.threshold,
    rule: r.rule,
    deviceName: r.device,
    session: r.session,
  }
  const bench = store.createRun({
    kind: 'bench',
    modelId: model.id,
    deviceId: device.id,
    spec: { ...spec, kind: 'bench', latency: r.latency },
  })
  store.startRun(bench, r.env)
  for (let i = 0; i < samples.length; i += 1000)
    store.appendSamples(bench, Array.from(samples.subarray(i, i + 1000)))
  store.finishRun(bench, benchOf(r, p, samples, bench, model.name))
  const ev = store.createRun({
    kind: 'eval',
    modelId: model.id,
    deviceId: device.id,
    spec: { ...spec, kind: 'eval', dataset: r.dataset, split: r.split, limit: r.count },
  })
  store.startRun(ev, r.env)
  store.finishRun(ev, evalOf(r, p, ev, model.name))
}

/** The chosen thresholds of sweep `sweepId` as variants of its model, each with its two runs. */
export async function addOperatingPoints(
  host: OperatingPointHost,
  sweepId: number,
  thresholds: number[],
): Promise<ModelRow[]> {
  const stored = host.store.getEarlyExit(sweepId)
  if (!stored) throw new StudioError('NOT_FOUND', `No early-exit sweep with id ${sweepId}.`)
  const r = stored.result
  const parent = host.store.getModel(r.modelId)
  if (!parent) throw new StudioError('NOT_FOUND', `The model of early-exit sweep ${sweepId} was removed.`)
  const out: ModelRow[] = []
  for (const t of thresholds) {
    const i = r.points.findIndex((p) => p.threshold === t)
    const p = r.points[i]
    if (!p) {
      throw new StudioError(
        'BAD_INPUT',
        `Threshold ${t} is not in sweep ${sweepId} (it has ${r.points.map((x) => x.threshold).join(', ')}).`,
      )
    }
    const name = operatingPointName(parent.name, r.rule, t)
    const path = await writeVariantFile(parent, r, p, join(host.dataDir, 'variants'), name)
    const model = host.store.upsertModel({
      name,
      path,
      sha256: await sha256File(path),
      family: parent.family,
      kind: EARLY_EXIT_METHOD,
      parentId: parent.id,
      recipe: {
        method: EARLY_EXIT_METHOD,
        params: {
          threshold: t,
          rule: r.rule,
          exits: r.exits.map((e) => e.name),
          avgMacs: p.avgMacs,
          sweepId,
          device: r.device,
        },
      },
      // No card: the point is fed like its parent (dataset, preprocessing, labels are inherited),
      // and its expected MACs travel in the recipe.
      card: null,
    })
    storeRuns(host.store, r, p, stored.samplesUs[i + 1] ?? new Float32Array(0), model)
    out.push(model)
  }
  return out
}
