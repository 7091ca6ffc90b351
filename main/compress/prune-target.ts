/**
 * A MACs target instead of one ratio for every group: a sensitivity scan, then per-group ratios.
 *
 * The scan removes each prunable group alone at a few ratios and measures the drift of the output
 * (KL divergence from the parent's softmax) on a few calibration samples. It runs one ONNX Runtime
 * session of the parent with a channel mask after every layer that writes channels (a graph input
 * per mask), so each point is one run, not a new model. The allocation then removes, step by step,
 * the slice of channels that costs the least drift per MAC saved, until the MACs fit the target.
 */
import { StudioError } from '../../common/errors.js'
import type { Batch } from '../../devices/device.js'
import { attrInt } from '../model/graph.js'
import { nodeMacs } from '../model/macs.js'
import { graphOf, onnx, type ModelProto, type NodeProto } from '../model/proto.js'
import { inferShapes } from '../model/shapes.js'
import { ElemType } from '../model/tensor.js'
import type { SensitivityGroup } from '../../common/compress.js'
import { runVariants, type Activation } from './activations.js'
import { cloneModel } from './graph-edit.js'
import type { ChannelGraph } from './prune-graph.js'
import type { ChannelGroup } from './prune-plan.js'

export const SCAN_RATIOS = [0.25, 0.5, 0.75] as const
/** No group loses more than this fraction of its channels under a target. */
const MAX_RATIO = 0.9
const STEP = 0.05

export interface Allocation {
  ratioOf: Map<ChannelGroup, number>
  scan: SensitivityGroup[]
  /** Estimated MACs of the result as a fraction of the parent's. */
  macs: number
}

interface Prunable {
  group: ChannelGroup
  /** Class roots, least important first. */
  order: number[]
}

/** Roots removed when `p` loses `ratio` of its classes (as planPruning rounds it). */
function removedAt(p: Prunable, ratio: number): number[] {
  const n = p.order.length
  return p.order.slice(0, Math.min(n - 1, Math.round(ratio * n)))
}

/** MACs of the parent's layers as a function of the removed classes (exact: MACs are bilinear in channels). */
class MacModel {
  readonly total: number
  private readonly nodes: { macs: number; inT: string; outT: string; mode: 'both' | 'out' | 'in' }[] = []
  private readonly roots = new Map<string, { roots: Int32Array; unit: number }>()

  constructor(model: ModelProto, cg: ChannelGraph) {
    const shapes = inferShapes(model)
    let total = 0
    for (const n of shapes.order) {
      const macs = nodeMacs(n, shapes.tensors)
      total += macs
      if (macs === 0) continue
      const grouped = n.opType === 'Conv' && attrInt(n, 'group', 1) > 1 && !cg.columns.has(n)
      const mode = n.opType === 'Conv' ? (grouped ? 'out' : 'both') : 'in'
      this.nodes.push({ macs, inT: n.input[0] ?? '', outT: n.output[0] ?? '', mode })
      for (const t of [n.input[0] ?? '', n.output[0] ?? '']) {
        const s = cg.spaces.get(t)
        if (!s || this.roots.has(t)) continue
        this.roots.set(t, { roots: Int32Array.from({ length: s.channels }, (_, c) => cg.find(s.base + c)), unit: s.unit })
      }
    }
    this.total = total
  }

  private fraction(t: string, removed: Set<number>): number {
    const r = this.roots.get(t)
    if (!r || removed.size === 0) return 1
    let kept = 0
    for (const root of r.roots) if (!removed.has(root)) kept++
    return kept / r.roots.length
  }

  macs(removed: Set<number>): number {
    let sum = this.total
    for (const n of this.nodes) {
      const fin = n.mode === 'out' ? 1 : this.fraction(n.inT, removed)
      const fout = n.mode === 'in' ? 1 : this.fraction(n.outT, removed)
      sum -= n.macs * (1 - fin * fout)
    }
    return sum
  }
}

/** The parent with a Mul by a [1, C, 1, 1] mask input after every tensor a layer writes. */
function maskedModel(model: ModelProto, cg: ChannelGraph): { model: ModelProto; masks: { input: string; tensor: string; rank: number }[] } {
  const copy = cloneModel(model)
  const graph = graphOf(copy)
  const outputs = new Set(graph.output.map((o) => o.name))
  const masks: { input: string; tensor: string; rank: number }[] = []
  const extra: NodeProto[] = []
  for (const n of [...cg.sources, ...cg.depthwise, ...cg.batchNorms]) {
    const t = n.output[0] ?? ''
    const rank = cg.dims(t)?.length ?? 0
    const s = cg.spaces.get(t)
    if (!s || rank < 2 || outputs.has(t) || masks.some((m) => m.tensor === t)) continue
    const input = `${t}__mask`
    const masked = `${t}__masked`
    for (const r of graph.node) r.input = r.input.map((i) => (i === t ? masked : i))
    extra.push(onnx.NodeProto.create({ opType: 'Mul', input: [t, input], output: [masked], name: `${t}__mask_mul` }) as NodeProto)
    const dim = [1, s.channels, ...Array<number>(rank - 2).fill(1)].map((d) => ({ dimValue: d }))
    graph.input.push(onnx.ValueInfoProto.create({ name: input, type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim } } } }))
    masks.push({ input, tensor: t, rank })
  }
  graph.node.push(...extra)
  return { model: copy, masks }
}

function softmaxRows(logits: Float32Array, classes: number): Float64Array {
  const out = new Float64Array(logits.length)
  for (let i = 0; i < logits.length; i += classes) {
    let max = -Infinity
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i + c] as number)
    let sum = 0
    for (let c = 0; c < classes; c++) sum += out[i + c] = Math.exp((logits[i + c] as number) - max)
    for (let c = 0; c < classes; c++) out[i + c] = (out[i + c] as number) / sum
  }
  return out
}

/** Drift of every (group, ratio) point: mean KL(parent ‖ pruned) of the first output. */
async function scan(model: ModelProto, cg: ChannelGraph, prunable: Prunable[], batches: Batch[], opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void }): Promise<number[][]> {
  const { model: masked, masks } = maskedModel(model, cg)
  const output = graphOf(model).output[0]?.name ?? ''
  const points = prunable.flatMap((p, gi) => SCAN_RATIOS.map((r) => ({ gi, removed: new Set(removedAt(p, r)) })))
  const feedsOf = (run: number): Record<string, Activation> => {
    const removed = run === 0 ? new Set<number>() : (points[run - 1]?.removed ?? new Set<number>())
    const feeds: Record<string, Activation> = {}
    for (const m of masks) {
      const s = cg.spaces.get(m.tensor)!
      const data = new Float32Array(s.channels).fill(1)
      if (removed.size > 0) for (let c = 0; c < s.channels; c++) if (removed.has(cg.find(s.base + c))) data[c] = 0
      feeds[m.input] = { data, dims: [1, s.channels, ...Array<number>(m.rank - 2).fill(1)] }
    }
    return feeds
  }
  const reference = new Map<Batch, Float64Array>()
  const loss = new Float64Array(points.length)
  let samples = 0
  await runVariants(masked, [output], batches, points.length + 1, feedsOf, (run, batch, out) => {
    const y = out.get(output)
    if (!y) return
    const classes = y.data.length / batch.count
    const p = softmaxRows(y.data, classes)
    if (run === 0) {
      reference.set(batch, p)
      samples += batch.count
      return
    }
    const ref = reference.get(batch)!
    let kl = 0
    for (let i = 0; i < p.length; i++) {
      const a = ref[i] as number
      if (a > 0) kl += a * Math.log(a / Math.max(p[i] as number, 1e-12))
    }
    loss[run - 1] = (loss[run - 1] as number) + kl
  }, { ...(opts.signal ? { signal: opts.signal } : {}), threads: undefined, onBatch: (d) => opts.onProgress?.(d, points.length + 1) })
  return prunable.map((_, gi) => SCAN_RATIOS.map((__, ri) => (loss[gi * SCAN_RATIOS.length + ri] as number) / Math.max(1, samples)))
}

/** Drift of a group at `ratio`, linear between the scanned points (0 at 0, the last slope beyond). */
function lossAt(points: number[], ratio: number): number {
  const xs = [0, ...SCAN_RATIOS]
  const ys = [0, ...points]
  for (let i = 1; i < xs.length; i++) {
    if (ratio <= (xs[i] as number) || i === xs.length - 1) {
      const [x0, x1, y0, y1] = [xs[i - 1] as number, xs[i] as number, ys[i - 1] as number, ys[i] as number]
      return y0 + ((y1 - y0) * (ratio - x0)) / (x1 - x0)
    }
  }
  return ys[ys.length - 1] as number
}

/**
 * Per-group ratios reaching `target` × the parent's MACs with the least summed drift; throws
 * BAD_INPUT when even every group at 90 % stays above it.
 */
export async function allocateForTarget(
  model: ModelProto,
  cg: ChannelGraph,
  groups: ChannelGroup[],
  score: Map<number, number>,
  target: number,
  batches: Batch[],
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<Allocation> {
  const prunable: Prunable[] = groups
    .filter((g) => g.convs.length > 0 && !g.blocked && g.classes.length > 1)
    .map((group) => ({ group, order: group.classes.map((r, i) => ({ r, i, v: score.get(r) ?? 0 })).sort((a, b) => a.v - b.v || a.i - b.i).map((e) => e.r) }))
  if (prunable.length === 0) throw new StudioError('BAD_INPUT', 'Nothing in this model can be pruned (every conv layer is tied to something the analysis cannot prove safe); there is no MACs target to reach.')
  const mac = new MacModel(model, cg)
  const losses = await scan(model, cg, prunable, batches, opts)
  // State: classes removed per group, in steps of ~5 % of the group (at least one class).
  const removed = prunable.map(() => 0)
  const n = (i: number): number => prunable[i]?.order.length ?? 1
  const limit = (i: number): number => Math.min(n(i) - 1, Math.floor(MAX_RATIO * n(i)))
  const removedSet = (ks: number[]): Set<number> => new Set(prunable.flatMap((p, i) => p.order.slice(0, ks[i] ?? 0)))
  let current = mac.macs(new Set())
  const goal = target * mac.total
  while (current > goal) {
    let best = -1
    let bestCost = Infinity
    let bestMacs = current
    let bestK = 0
    prunable.forEach((_, i) => {
      const k = Math.min(limit(i), (removed[i] ?? 0) + Math.max(1, Math.round(STEP * n(i))))
      if (k <= (removed[i] ?? 0)) return
      const macs = mac.macs(removedSet(removed.map((v, j) => (j === i ? k : v))))
      const saved = current - macs
      if (saved <= 0) return
      const drift = lossAt(losses[i] ?? [], k / n(i)) - lossAt(losses[i] ?? [], (removed[i] ?? 0) / n(i))
      const cost = Math.max(1e-9, drift) / saved
      if (cost < bestCost) [best, bestCost, bestMacs, bestK] = [i, cost, macs, k]
    })
    if (best < 0) {
      throw new StudioError(
        'BAD_INPUT',
        `This model gets no smaller than ${((current / mac.total) * 100).toFixed(1)} % of its MACs by structured pruning (every prunable group at ${MAX_RATIO * 100} %); choose a --target-macs above that.`,
      )
    }
    removed[best] = bestK
    current = bestMacs
  }
  const ratio = removed.map((k, i) => k / n(i))
  const ratioOf = new Map(prunable.map((p, i) => [p.group, ratio[i] ?? 0]))
  const scanOut: SensitivityGroup[] = prunable.map((p, i) => ({
    name: p.group.convs.join(' + '),
    channels: p.group.classes.length,
    points: SCAN_RATIOS.map((r, k) => ({ ratio: r, drift: losses[i]?.[k] ?? 0 })),
    chosen: Math.round((ratio[i] ?? 0) * 100) / 100,
  }))
  return { ratioOf, scan: scanOut, macs: current / mac.total }
}
