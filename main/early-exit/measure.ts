/**
 * `edgebench early-exit`: how often an early-exit model can stop early and what that saves,
 * measured on the device (docs/measurement.md § Early exit). The model is cut into a chain at its
 * exits (graph.ts); the device runs every input through the chain and the unsplit model (the
 * chain must reproduce it), then times every threshold with the real control flow. Accuracy,
 * exit rates and expected MACs come from the chain's own outputs on the device.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import {
  DEFAULT_THRESHOLDS,
  checkThresholds,
  operatingPoint,
  sweepPoints,
  type EarlyExitPoint,
  type EarlyExitResult,
  type ExitRule,
  type LatencyBrief,
} from '../../common/early-exit.js'
import { StudioError } from '../../common/errors.js'
import { accuracyMetrics } from '../../common/metrics.js'
import { summarize } from '../../common/stats.js'
import type {
  DeviceInfo,
  LatencySpec,
  PreprocessSpec,
  Progress,
  SessionOptions,
  TensorInfo,
} from '../../common/types.js'
import type { ChainSpec, Deployment, Device, RawEarlyExit } from '../../devices/device.js'
import type { DeviceRegistry } from '../bench/device-registry.js'
import { latencyFrom, sessionFrom } from '../bench/run-spec.js'
import { batches, chooseBatchSize, evaluatedCount } from '../data/batches.js'
import type { Dataset } from '../data/dataset.js'
import { resolveDataset } from '../data/datasets.js'
import { checkCompatibility } from '../data/model-input.js'
import { specFor, type ModelFeed } from '../model-feed.js'
import { decodeModel, encodeModel, readModelFile } from '../model/onnx-io.js'
import type { ModelRow } from '../store/store.js'
import type { ModelProto } from '../model/proto.js'
import { cascadeModel } from './cascade.js'
import { planExits, splitChain, type ExitPlan } from './graph.js'

/** The chain must reproduce the unsplit model's outputs to within this (max abs difference). */
export const MAX_ABS_DIFF = 1e-5
const SEED = 20240607

export interface EarlyExitRequest {
  modelId: number
  deviceName: string
  /** Dataset name or path; default: the device's or the model's, else fashion-mnist. */
  dataset?: string
  split?: string
  limit?: number
  /** Exit outputs to use; default: every [N, classes] output named exit*. */
  exits?: string[]
  thresholds?: number[]
  rule?: ExitRule
  session?: Partial<SessionOptions>
  latency?: Partial<LatencySpec>
}

export interface EarlyExitHost {
  devices: DeviceRegistry
  dataDir: string
  /** How the model is fed and scored: its stored preprocessing and dataset, own or inherited. */
  feedOf(model: ModelRow): ModelFeed
  /** The device's configured dataset, if any. */
  deviceDataset(deviceName: string): string | undefined
}

export interface EarlyExitHooks {
  onProgress?: (p: Progress) => void
  signal?: AbortSignal
}

/** The segment files and the rule's cascade (content-addressed under the data folder). */
async function writeChain(model: ModelRow, plan: ExitPlan, rule: ExitRule, dataDir: string): Promise<ChainSpec> {
  const onnx = decodeModel(await readModelFile(model.path), model.name)
  const dir = join(dataDir, 'early-exit')
  await mkdir(dir, { recursive: true })
  const write = async (m: ModelProto): Promise<string> => {
    const bytes = encodeModel(m)
    const path = join(dir, `${createHash('sha256').update(bytes).digest('hex')}.onnx`)
    await writeFile(path, bytes)
    return path
  }
  const split = splitChain(onnx, plan)
  const segments = []
  for (const seg of split) segments.push({ path: await write(seg.model), inputs: seg.inputs, outputs: seg.outputs })
  const cascade = await write(cascadeModel(onnx, split, plan, rule))
  return { segments, exits: plan.exits, final: plan.final, cascade }
}

const brief = (samples: number[]): LatencyBrief => {
  const s = summarize(samples)
  return { mean: s.mean, p50: s.p50, p90: s.p90 }
}

function checkVerified(raw: RawEarlyExit, model: string): void {
  if (raw.reply.decisionMismatches > 0) {
    throw new StudioError(
      'MODEL_UNSUPPORTED',
      `On the device, ${model}'s early-exit cascade stopped ${raw.reply.decisionMismatches} timed samples elsewhere than the rule says on its own outputs; its early exit cannot be measured this way. Please report this with the model.`,
    )
  }
  for (const [output, diff] of Object.entries(raw.reply.maxAbsDiff)) {
    if (!(diff <= MAX_ABS_DIFF)) {
      throw new StudioError(
        'MODEL_UNSUPPORTED',
        `Cut at its exits, ${model} does not reproduce its own output '${output}' (max abs difference ${diff.toExponential(2)} > ${MAX_ABS_DIFF}); its early exit cannot be measured by splitting it.`,
      )
    }
  }
}

function labelsOf(dataset: Dataset, count: number): Uint16Array {
  const labels = new Uint16Array(count)
  for (let i = 0; i < count; i++) labels[i] = dataset.label(i)
  return labels
}

/** Thresholds and rule checked (BAD_INPUT names the bad one), sorted, without repeats. */
export function sweepSettings(req: Pick<EarlyExitRequest, 'thresholds' | 'rule'>): {
  thresholds: number[]
  rule: ExitRule
} {
  const rule = req.rule ?? 'maxprob'
  const thresholds = [...new Set(req.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b)
  checkThresholds(thresholds, rule)
  return { thresholds, rule }
}

export interface EarlyExitMeasurement {
  result: EarlyExitResult
  /** Timed samples per configuration: 0 = the unsplit model, 1 + i = result.points[i]. */
  samplesUs: number[][]
}

/** What the device needs and what the figures are computed against. */
interface Setup {
  plan: ExitPlan
  dataset: Dataset
  pre: PreprocessSpec
  total: number
  env: DeviceInfo
  session: SessionOptions
  latency: LatencySpec
}

/** Exits, dataset, preprocessing and deployment, checked before anything is measured. */
async function setUp(
  host: EarlyExitHost,
  model: ModelRow,
  req: EarlyExitRequest,
  device: Device,
  signal?: AbortSignal,
): Promise<Setup & { dep: Deployment; input: TensorInfo }> {
  const plan = planExits(decodeModel(await readModelFile(model.path), model.name), model.name, req.exits)
  const feed = host.feedOf(model)
  const name = req.dataset ?? host.deviceDataset(req.deviceName) ?? feed.dataset ?? 'fashion-mnist'
  const dataset = await resolveDataset(name, { split: req.split ?? feed.split ?? 'test' })
  const session = sessionFrom(req.session)
  const env = await device.probe(signal)
  const dep = await device.prepare(
    { name: model.name, path: model.path, sha256: model.sha256 },
    session,
    signal,
  )
  const input = dep.inputs[0]
  const output = dep.outputs.find((o) => o.name === plan.final)
  if (!input || !output) {
    throw new StudioError('MODEL_INVALID', `${model.name} has no input or no output '${plan.final}'.`)
  }
  const pre = specFor(input, feed)
  checkCompatibility({ input, output, dataset, spec: pre })
  const total = evaluatedCount(dataset, req.limit)
  return { plan, dataset, pre, total, env, session, latency: latencyFrom(req.latency), dep, input }
}

/** The figures of every threshold from the chain's outputs and timed samples on the device. */
function figures(
  s: Setup,
  model: ModelRow,
  deviceName: string,
  raw: RawEarlyExit,
  settings: { thresholds: number[]; rule: ExitRule },
): EarlyExitResult {
  const { plan, dataset } = s
  const labels = labelsOf(dataset, s.total)
  const exitScores = raw.chainScores.slice(0, plan.exits.length)
  const finalScores = raw.chainScores[plan.exits.length] as Float32Array
  const top1 = (scores: Float32Array): number =>
    accuracyMetrics(scores, raw.classes, labels, dataset.classes).top1
  const exits = plan.exits.map((name, k) => ({ name, macs: plan.exitMacs[k] as number }))
  const swept = sweepPoints({
    exits,
    fullMacs: plan.fullMacs,
    classes: raw.classes,
    labels,
    exitScores,
    finalScores,
    ...settings,
    classNames: dataset.classes,
  })
  const full = brief(raw.samplesUs[0] ?? [])
  const points: EarlyExitPoint[] = swept.map((p, i) => {
    const timed = raw.samplesUs[i + 1]?.length ?? 0
    const stopped = (raw.reply.timedExits[i + 1] ?? []).reduce((a, b) => a + b, 0)
    return {
      ...p,
      latencyUs: brief(raw.samplesUs[i + 1] ?? []),
      timedCount: timed,
      timedExitRate: timed > 0 ? stopped / timed : 0,
    }
  })
  const fullTop1 = top1(finalScores)
  const best = operatingPoint(points, fullTop1)
  return {
    modelId: model.id,
    model: model.name,
    device: deviceName,
    dataset: dataset.name,
    split: dataset.split,
    count: s.total,
    rule: settings.rule,
    final: plan.final,
    exits: exits.map((e, k) => ({ ...e, top1: top1(exitScores[k] as Float32Array) })),
    fullMacs: plan.fullMacs,
    fullTop1,
    full: { latencyUs: full, timedCount: raw.samplesUs[0]?.length ?? 0 },
    points,
    verify: { samples: raw.reply.verified, maxAbsDiff: raw.reply.maxAbsDiff },
    syncRuns: raw.reply.syncRuns,
    operatingPoint: best
      ? {
          threshold: best.threshold,
          top1: best.top1,
          macsSaving: 1 - best.avgMacs / plan.fullMacs,
          latencySaving: 1 - best.latencyUs.mean / full.mean,
        }
      : null,
    env: s.env,
    session: s.session,
    latency: s.latency,
    preprocessing: s.pre,
    createdAt: new Date().toISOString(),
  }
}

/** Measures the early exit of a stored model on a device; see the module comment. */
export async function measureEarlyExit(
  host: EarlyExitHost,
  model: ModelRow,
  req: EarlyExitRequest,
  hooks: EarlyExitHooks = {},
): Promise<EarlyExitMeasurement> {
  const settings = sweepSettings(req)
  const device = host.devices.get(req.deviceName)
  if (!device.earlyExit) {
    throw new StudioError(
      'BAD_INPUT',
      `${req.deviceName} is a ${device.kind} board: it runs its firmware's own logic (and its own early exit, if any), so the studio cannot split the model there. Measure early exit on this computer (local) or an SSH board.`,
    )
  }
  hooks.onProgress?.({ phase: 'prepare', done: 0, total: 1, fraction: 0, message: `loading ${model.name}` })
  const s = await setUp(host, model, req, device, hooks.signal)
  const chain = await writeChain(model, s.plan, settings.rule, host.dataDir)
  const stream = batches(s.dataset, s.pre, chooseBatchSize(s.input.shape), {
    limit: s.total,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  })
  const raw = await device.earlyExit(
    s.dep,
    chain,
    stream,
    s.total,
    { ...settings, latency: s.latency, seed: SEED },
    hooks,
  )
  checkVerified(raw, model.name)
  return { result: figures(s, model, req.deviceName, raw, settings), samplesUs: raw.samplesUs }
}
