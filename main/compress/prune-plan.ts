/**
 * From the channel classes to a pruning plan: classes spanning the same tensors form a group (one
 * conv layer's filters, or the layers tied by a residual), each group loses `ratio` of its classes
 * with the lowest importance, and every tensor gets the list of channels it keeps.
 */
import type { NodeProto } from '../model/proto.js'
import { initializerToFloat32, tensorDims } from '../model/tensor.js'
import type { ConstStore } from './prune-common.js'
import type { ChannelGraph, Space } from './prune-graph.js'
import type { ChannelStats } from './prune-stats.js'

import type { Criterion } from '../../common/compress.js'
export type { Criterion }

export interface ChannelGroup {
  /** Convs whose output channels are (part of) this group, by node name: filters first, then depthwise / grouped. */
  convs: string[]
  tensors: string[]
  /** Class ids (union-find roots), in order of first appearance. */
  classes: number[]
  /** Why the group must stay, when it must. */
  blocked?: string
}

export interface PrunePlan {
  groups: ChannelGroup[]
  /** Per pruned group: classes before → after. */
  pruned: { group: ChannelGroup; before: number; after: number }[]
  /** Groups with filters that were left alone, and why. */
  skipped: { group: ChannelGroup; reason: string }[]
  /** Tensor → channel indices it keeps (only tensors that lose channels). */
  kept: Map<string, number[]>
  /** Conv / BatchNormalization node name → output channels removed (for reports and tests). */
  removed: Map<string, number[]>
}

function nodeLabel(n: NodeProto): string {
  return n.name || n.output[0] || n.opType
}

/** Classes grouped by the exact set of tensors they span. */
export function channelGroups(cg: ChannelGraph): ChannelGroup[] {
  const tensorsOf = new Map<number, string[]>()
  for (const s of cg.spaces.values()) {
    for (let c = 0; c < s.channels; c++) {
      const root = cg.find(s.base + c)
      const list = tensorsOf.get(root) ?? []
      if (list[list.length - 1] !== s.tensor) list.push(s.tensor)
      tensorsOf.set(root, list)
    }
  }
  const bySignature = new Map<string, ChannelGroup>()
  const groupOfRoot = new Map<number, ChannelGroup>()
  for (const [root, tensors] of tensorsOf) {
    const key = tensors.join('\u0000')
    let g = bySignature.get(key)
    if (!g) {
      const reasons = tensors.map((t) => cg.blocked.get(t)).filter((r): r is string => r !== undefined)
      g = { convs: [], tensors, classes: [], blocked: reasons.length > 0 ? `${reasons[0]}` : undefined }
      bySignature.set(key, g)
    }
    g.classes.push(root)
    groupOfRoot.set(root, g)
  }
  for (const conv of [...cg.sources, ...cg.depthwise, ...cg.grouped]) {
    const s = cg.spaces.get(conv.output[0] ?? '')
    if (!s) continue
    const seen = new Set<ChannelGroup>()
    for (let c = 0; c < s.channels; c++) {
      const g = groupOfRoot.get(cg.find(s.base + c))
      if (g && !seen.has(g)) {
        seen.add(g)
        g.convs.push(nodeLabel(conv))
      }
    }
  }
  return [...bySignature.values()]
}

/** E[relu(y)] for y ~ N(beta, gamma²): the BN-derived expected activation of a channel. */
export function expectedRelu(gamma: number, beta: number): number {
  const s = Math.abs(gamma)
  if (s < 1e-12) return Math.max(beta, 0)
  const z = beta / s
  const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)
  return beta * normalCdf(z) + s * pdf
}

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 for erf; 1.5e-7 absolute error is ample for ranking channels.
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x)
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf)
}

/** The tensors the `activation` criterion measures: what conv and dense layers read. */
export function measuredTensors(cg: ChannelGraph, nodes: readonly NodeProto[]): string[] {
  const layers = new Set(['Conv', 'Gemm', 'MatMul'])
  return [...new Set(nodes.filter((n) => layers.has(n.opType)).map((n) => n.input[0] ?? ''))].filter((t) => cg.spaces.has(t))
}

/**
 * Importance per class: summed over every conv filter (or BN channel) that writes the class; for
 * `activation`, the mean |x| of the class's channels in every tensor a layer reads (`stats`).
 */
export function importance(cg: ChannelGraph, store: ConstStore, criterion: Criterion, stats?: Map<string, ChannelStats>): Map<number, number> {
  const score = new Map<number, number>()
  const add = (s: Space, c: number, v: number): void => {
    const r = cg.find(s.base + c)
    score.set(r, (score.get(r) ?? 0) + v)
  }
  if (criterion === 'activation') {
    for (const [tensor, st] of stats ?? []) {
      const s = cg.spaces.get(tensor)
      if (!s) continue
      for (let c = 0; c < s.channels; c++) {
        let v = 0
        for (let u = 0; u < s.unit; u++) v += st.meanAbs[c * s.unit + u] ?? 0
        add(s, c, v / s.unit)
      }
    }
    return score
  }
  if (criterion === 'l1') {
    for (const conv of [...cg.sources, ...cg.depthwise]) {
      const s = cg.spaces.get(conv.output[0] ?? '')
      const w = store.get(conv.input[1])
      if (!s || !w) continue
      const values = initializerToFloat32(w)
      const per = values.length / (tensorDims(w)[0] || 1)
      for (let c = 0; c < s.channels; c++) {
        let sum = 0
        for (let i = c * per; i < (c + 1) * per; i++) sum += Math.abs(values[i] ?? 0)
        add(s, c, sum)
      }
    }
    return score
  }
  for (const bn of cg.batchNorms) {
    const s = cg.spaces.get(bn.output[0] ?? '')
    const gamma = store.get(bn.input[1])
    const beta = store.get(bn.input[2])
    if (!s || !gamma || !beta) continue
    const g = initializerToFloat32(gamma)
    const bt = initializerToFloat32(beta)
    for (let c = 0; c < s.channels; c++) {
      add(s, c, criterion === 'bn-scale' ? Math.abs(g[c] ?? 0) : expectedRelu(g[c] ?? 0, bt[c] ?? 0))
    }
  }
  return score
}

/**
 * Chooses the classes to remove and derives every tensor's kept channels. `ratio` is one fraction
 * for every group, or a fraction per group (a target allocation).
 */
export function planPruning(
  cg: ChannelGraph,
  store: ConstStore,
  ratio: number | ((g: ChannelGroup) => number),
  criterion: Criterion,
  stats?: Map<string, ChannelStats>,
): PrunePlan {
  const groups = channelGroups(cg)
  const score = importance(cg, store, criterion, stats)
  const ratioOf = typeof ratio === 'number' ? (): number => ratio : ratio
  const removedRoots = new Set<number>()
  const pruned: PrunePlan['pruned'] = []
  const skipped: PrunePlan['skipped'] = []
  for (const g of groups) {
    if (g.convs.length === 0) continue // no conv writes these channels: graph inputs, FC outputs
    if (g.blocked) {
      skipped.push({ group: g, reason: g.blocked })
      continue
    }
    if (criterion.startsWith('bn') && !g.classes.some((r) => score.has(r))) {
      skipped.push({ group: g, reason: `no BatchNormalization in this group, which the ${criterion} criterion needs (use l1)` })
      continue
    }
    const n = g.classes.length
    const remove = Math.min(n - 1, Math.round(ratioOf(g) * n))
    const order = g.classes.map((r, i) => ({ r, i, v: score.get(r) ?? 0 })).sort((a, b) => a.v - b.v || a.i - b.i)
    for (const { r } of order.slice(0, remove)) removedRoots.add(r)
    pruned.push({ group: g, before: n, after: n - Math.max(0, remove) })
  }
  const kept = new Map<string, number[]>()
  for (const s of cg.spaces.values()) {
    const keep: number[] = []
    for (let c = 0; c < s.channels; c++) if (!removedRoots.has(cg.find(s.base + c))) keep.push(c)
    if (keep.length < s.channels) kept.set(s.tensor, keep)
  }
  const removed = new Map<string, number[]>()
  for (const n of [...cg.sources, ...cg.depthwise, ...cg.batchNorms]) {
    const out = n.output[0] ?? ''
    const keep = kept.get(out)
    const s = cg.spaces.get(out)
    if (keep && s) removed.set(nodeLabel(n), [...Array(s.channels).keys()].filter((c) => !keep.includes(c)))
  }
  return { groups, pruned, skipped, kept, removed }
}
