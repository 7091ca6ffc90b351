/**
 * Structured pruning as the derive path runs it, with calibration data: the activation criterion,
 * a MACs target (sensitivity scan + per-group ratios, prune-target.ts) and recovery of the pruned
 * layers (prune-recover.ts). Without data it is pruneStructured's uniform, data-free pruning.
 */
import type { RecoverMethod } from '../../common/compress.js'
import { StudioError } from '../../common/errors.js'
import type { Batch } from '../../devices/device.js'
import { graphOf, type ModelProto } from '../model/proto.js'
import { simplifyGraph } from '../model/simplify.js'
import { assertFraction, cloneModel, ConstStore, type PruneReport } from './prune-common.js'
import { analyzeChannels } from './prune-graph.js'
import { channelGroups, importance, measuredTensors, planPruning, type ChannelGroup, type Criterion } from './prune-plan.js'
import { recoverPruned } from './prune-recover.js'
import { applyPlan } from './prune-rewrite.js'
import { channelStats } from './prune-stats.js'
import { checkCriterion, checkResult, NO_RECOVERY, structuredReport } from './prune-structured.js'
import { allocateForTarget } from './prune-target.js'

/** Calibration data, readable several times (one pass per use; nothing is held). */
export interface CalibrationSource {
  dataset: string
  split: string
  /** Samples available. */
  count: number
  batches(limit: number): AsyncIterable<Batch>
}

export interface DerivePruneOptions {
  ratio?: number
  targetMacs?: number
  criterion?: Criterion
  /** Default: 'ls' with calibration data, else 'none'. */
  recover?: RecoverMethod
  calibration?: CalibrationSource | null
  /** Calibration samples for the statistics and recovery (default 500). */
  samples?: number
  signal?: AbortSignal
  onProgress?: (done: number, total: number, message: string) => void
}

const DEFAULT_SAMPLES = 500
/** The sensitivity scan runs every (group, ratio) point on this many samples. */
const SCAN_SAMPLES = 128

function checkOptions(model: ModelProto, opts: DerivePruneOptions): { criterion: Criterion; recover: RecoverMethod } {
  if ((opts.ratio === undefined) === (opts.targetMacs === undefined)) {
    throw new StudioError('BAD_INPUT', 'Give exactly one of a pruning ratio (--structured <ratio>) or a MACs target (--target-macs <fraction>).')
  }
  if (opts.ratio !== undefined) assertFraction(opts.ratio, 'pruning ratio')
  if (opts.targetMacs !== undefined) assertFraction(opts.targetMacs, 'MACs target')
  const data = !!opts.calibration
  const criterion = opts.criterion ?? 'l1'
  checkCriterion(model, criterion, data)
  const recover = opts.recover ?? (data ? 'ls' : 'none')
  if (!data && recover !== 'none') {
    throw new StudioError('BAD_INPUT', `Recovery (--recover ${recover}) refits layers on calibration data: pass --calibration <dataset or folder>, or --recover none.`)
  }
  if (!data && opts.targetMacs !== undefined) {
    throw new StudioError('BAD_INPUT', 'A MACs target needs calibration data for its sensitivity scan: pass --calibration <dataset or folder>, or prune with --structured <ratio>.')
  }
  return { criterion, recover }
}

async function firstBatches(source: CalibrationSource, limit: number): Promise<Batch[]> {
  const out: Batch[] = []
  for await (const b of source.batches(limit)) out.push(b)
  return out
}

/** Structured pruning with data; returns a new model (the input is not modified). */
export async function pruneWithData(model: ModelProto, opts: DerivePruneOptions): Promise<{ model: ModelProto; report: PruneReport }> {
  const { criterion, recover } = checkOptions(model, opts)
  const source = opts.calibration ?? null
  const samples = source ? Math.min(opts.samples ?? DEFAULT_SAMPLES, source.count) : 0
  const step = (message: string): void => opts.onProgress?.(0, 1, message)
  const { model: original, report: simplified } = simplifyGraph(model)
  const out = cloneModel(original)
  const store = new ConstStore(graphOf(out))
  const cg = analyzeChannels(out, store)
  let stats
  if (criterion === 'activation' && source) {
    step(`measuring activations on ${samples} samples of ${source.dataset} ${source.split}`)
    stats = await channelStats(original, measuredTensors(cg, graphOf(out).node), source.batches(samples), opts.signal ? { signal: opts.signal } : {})
  }
  let ratio: number | ((g: ChannelGroup) => number) = opts.ratio ?? 0
  let sensitivity: PruneReport['sensitivity']
  if (opts.targetMacs !== undefined && source) {
    const scanSet = await firstBatches(source, Math.min(SCAN_SAMPLES, source.count))
    const groups = channelGroups(cg)
    const alloc = await allocateForTarget(original, cg, groups, importance(cg, store, criterion, stats), opts.targetMacs, scanSet, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: (done, total) => opts.onProgress?.(done, total, `sensitivity scan: ${done} of ${total} runs`),
    })
    // Groups are matched by the tensors they span (the plan rebuilds its group objects).
    const byKey = new Map([...alloc.ratioOf].map(([g, r]) => [g.tensors.join('\u0000'), r]))
    ratio = (g: ChannelGroup): number => byKey.get(g.tensors.join('\u0000')) ?? 0
    sensitivity = { samples: scanSet.reduce((a, b) => a + b.count, 0), groups: alloc.scan }
  }
  const plan = planPruning(cg, store, ratio, criterion, stats)
  if (plan.pruned.length === 0) {
    const why = plan.skipped[0]?.reason
    throw new StudioError('BAD_INPUT', `Nothing in this model can be pruned: every conv layer is tied to something the analysis cannot prove safe${why ? ` (e.g. ${why})` : ''}. No variant was written.`)
  }
  applyPlan(out, cg, store, plan.kept)
  let recovery: PruneReport['recovery']
  if (recover !== 'none' && source) {
    const r = await recoverPruned(original, out, plan.kept, {
      method: recover,
      samples,
      data: () => source.batches(samples),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    })
    recovery = r
  }
  checkResult(model, out)
  const report = structuredReport(plan, criterion, overallRatio(plan), simplified, opts.targetMacs !== undefined)
  if (opts.ratio !== undefined) report.ratio = opts.ratio
  report.notes.push(recoveryNote(recover, recovery))
  return {
    model: out,
    report: {
      ...report,
      ...(opts.targetMacs !== undefined ? { targetMacs: opts.targetMacs } : {}),
      ...(sensitivity ? { sensitivity } : {}),
      recovery: recovery ?? { method: 'none', layers: 0, biasOnly: 0, passes: 0, samples: 0 },
      ...(source ? { calibration: { dataset: source.dataset, split: source.split, samples } } : {}),
    },
  }
}

/** Channel classes removed over all pruned groups. */
function overallRatio(plan: { pruned: { before: number; after: number }[] }): number {
  const before = plan.pruned.reduce((a, p) => a + p.before, 0)
  return before > 0 ? plan.pruned.reduce((a, p) => a + p.before - p.after, 0) / before : 0
}

function recoveryNote(method: RecoverMethod, r: PruneReport['recovery']): string {
  if (method === 'none' || !r) return NO_RECOVERY
  const what =
    method === 'ls'
      ? 'least squares: each layer whose input changed was refitted to reproduce the parent\'s output from the pruned network\'s input'
      : 'bias compensation: each layer whose input changed got the bias that restores its mean output'
  const wide = r.biasOnly > 0 ? ` (${r.biasOnly} layer(s) too wide for least squares got bias compensation only)` : ''
  return `Recovered without training by ${what}: ${r.layers} layer(s) on ${r.samples} calibration samples, ${r.passes} passes${wide}. Fine-tuning can recover more.`
}
