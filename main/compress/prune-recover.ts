/**
 * Recovery without training: after channels are removed, every layer whose input changed is
 * refitted on calibration data so its output matches the parent's again (channel pruning by
 * feature-map reconstruction: He et al. 2017, ThiNet, Luo et al. 2017).
 *
 * - 'ls': least squares. A conv's output at a position is linear in the input patch it reads, so
 *   the kept filters (and bias) are refitted to reproduce the parent's pre-activation output from
 *   the pruned network's actual input, per group for grouped/depthwise convs; Gemm/MatMul alike.
 * - 'bias': only the bias moves: it absorbs the mean of what the removed channels contributed.
 *
 * Streaming and bounded: the parent runs once and its outputs are kept only at a few sampled
 * positions per image; layers are then refitted in waves (a layer after the ones it depends on),
 * each wave one pass of the pruned network, truncated to what the wave reads, accumulating XᵀX and
 * XᵀY (k² + k·m numbers per layer) instead of keeping activations.
 */
import { StudioError } from '../../common/errors.js'
import type { Batch } from '../../devices/device.js'
import { attrInt } from '../model/graph.js'
import { graphOf, type ModelProto, type NodeProto } from '../model/proto.js'
import { initializerToFloat32, tensorDims } from '../model/tensor.js'
import { streamOutputs, type Activation } from './activations.js'
import { NormalEquations } from './linalg.js'
import { ConstStore, writeTensor } from './prune-common.js'
import { convGeometry, patchRow, samplePositions, type ConvGeometry } from './prune-patches.js'

export type RecoverMethod = 'ls' | 'bias'

export interface RecoverOptions {
  method: RecoverMethod
  /** Calibration batches; called once per pass (the data is streamed, never held). */
  data: () => AsyncIterable<Batch>
  /** How many samples `data` yields (sets how many positions per image are sampled). */
  samples: number
  signal?: AbortSignal
  onProgress?: (done: number, total: number, message: string) => void
}

export interface RecoverReport {
  method: RecoverMethod
  /** Layers refitted. */
  layers: number
  /** Of those, layers too wide for least squares that got bias compensation only. */
  biasOnly: number
  /** Passes over the calibration data (one of the parent, one per wave of the pruned model). */
  passes: number
  samples: number
}

/** Least squares above this fan-in would cost too much time and memory; those get bias only. */
const MAX_FAN_IN = 1600
/** Rows (sampled output positions) a layer aims for: a few times its fan-in. */
const ROWS = { min: 512, max: 4096, perUnknown: 3 }

interface Layer {
  node: NodeProto
  kind: 'conv' | 'dense'
  wave: number
  /** Original output channels the pruned layer keeps (indices into the parent's output). */
  keepOut: number[]
  geometry?: ConvGeometry
  /** Output plane (H·W of the parent's output; 1 for dense layers) and positions sampled per image. */
  plane: number
  outW: number
  positions: number
  /** Rows the layer aims for. */
  want: number
  ls: boolean
  /** Parent's outputs at the sampled positions, kept channels only, in row order. */
  targets: Float32Array[]
  /** Per group: XᵀX / XᵀY, or for bias the summed inputs and targets. */
  eqs: NormalEquations[]
  sums: { x: Float64Array; y: Float64Array; rows: number }[]
}

/** Layers whose input differs from the parent's (channels gone, or values changed upstream), by wave. */
function layersToRefit(pruned: ModelProto, kept: Map<string, number[]>, store: ConstStore): Layer[] {
  const level = new Map<string, number>()
  const affected = new Set<string>(kept.keys())
  const layers: Layer[] = []
  for (const node of graphOf(pruned).node) {
    const inputs = node.input.filter((i) => i && !store.has(i))
    const lvl = Math.max(0, ...inputs.map((i) => level.get(i) ?? 0))
    const isAffected = inputs.some((i) => affected.has(i))
    const kind = refittable(node, store)
    const x = node.input[0] ?? ''
    let out = lvl
    if (kind && affected.has(x)) {
      const dims = tensorDims(store.get(node.input[1])!)
      const keepOut = kept.get(node.output[0] ?? '') ?? [...Array(kind === 'conv' ? dims[0] : denseOut(node, dims)).keys()]
      layers.push({ node, kind, wave: level.get(x) ?? 0, keepOut, plane: 1, outW: 1, positions: 1, want: 0, ls: true, targets: [], eqs: [], sums: [] })
      out = (level.get(x) ?? 0) + 1
    }
    for (const o of node.output) {
      if (!o) continue
      level.set(o, out)
      if (isAffected) affected.add(o)
    }
  }
  return layers
}

function denseOut(node: NodeProto, dims: number[]): number {
  return node.opType === 'Gemm' && attrInt(node, 'transB', 0) === 1 ? (dims[0] ?? 0) : (dims[1] ?? 0)
}

/** 2-D convs with initializer weights; Gemm (no transA, α = β = 1) and MatMul with a 2-D weight. */
function refittable(node: NodeProto, store: ConstStore): 'conv' | 'dense' | null {
  if (node.domain && node.domain !== 'ai.onnx') return null
  const w = store.get(node.input[1])
  if (!w || (node.input[2] && !store.has(node.input[2]))) return null
  const rank = tensorDims(w).length
  if (node.opType === 'Conv') return rank === 4 ? 'conv' : null
  const plain = node.attribute.every((a) => a.name === 'transB' || (a.name === 'alpha' && a.f === 1) || (a.name === 'beta' && a.f === 1))
  if ((node.opType === 'Gemm' && plain) || node.opType === 'MatMul') return rank === 2 ? 'dense' : null
  return null
}

/** Groups, fan-in per group (with the intercept) and outputs per group of a layer. */
function shapeOf(layer: Layer, store: ConstStore): { groups: number; k: number; m: number } {
  const dims = tensorDims(store.get(layer.node.input[1])!)
  if (layer.kind === 'dense') {
    const fanIn = layer.node.opType === 'Gemm' && attrInt(layer.node, 'transB', 0) === 1 ? (dims[1] ?? 0) : (dims[0] ?? 0)
    return { groups: 1, k: fanIn + (layer.node.opType === 'Gemm' ? 1 : 0), m: layer.keepOut.length }
  }
  const groups = attrInt(layer.node, 'group', 1)
  return { groups, k: (dims[1] ?? 0) * (dims[2] ?? 1) * (dims[3] ?? 1) + 1, m: layer.keepOut.length / groups }
}

/** Streams the parent once and keeps each layer's target outputs at its sampled positions. */
async function collectTargets(original: ModelProto, layers: Layer[], opts: RecoverOptions): Promise<number> {
  const names = [...new Set(layers.map((l) => l.node.output[0] ?? ''))]
  return streamOutputs(
    { model: original, names, truncate: true },
    opts.data(),
    (batch, out) => {
      layers.forEach((layer, li) => {
        const y = out.get(layer.node.output[0] ?? '')
        if (y) layer.targets.push(targetRows(layer, li, batch, y, opts.samples))
      })
    },
    { ...(opts.signal ? { signal: opts.signal } : {}), what: 'calibration' },
  )
}

function targetRows(layer: Layer, li: number, batch: Batch, y: Activation, samples: number): Float32Array {
  const m = layer.keepOut.length
  const channels = y.dims[1] ?? 1
  const plane = layer.kind === 'conv' ? (y.dims[2] ?? 1) * (y.dims[3] ?? 1) : 1
  if (layer.targets.length === 0) {
    layer.plane = plane
    layer.outW = y.dims[3] ?? 1
    layer.positions = layer.kind === 'conv' ? Math.max(1, Math.min(plane, Math.ceil(layer.want / Math.max(1, samples)))) : 1
  }
  const rows = new Float32Array(batch.count * layer.positions * m)
  let r = 0
  for (let n = 0; n < batch.count; n++) {
    const positions = layer.kind === 'conv' ? samplePositions(li, batch.offset + n, plane, layer.positions) : [0]
    for (const p of positions) {
      for (let o = 0; o < m; o++) rows[r++] = y.data[(n * channels + (layer.keepOut[o] ?? 0)) * plane + p] ?? 0
    }
  }
  return rows
}

/** One pass of the pruned model (as refitted so far) accumulating the statistics of one wave. */
async function accumulateWave(pruned: ModelProto, wave: Layer[], all: Layer[], opts: RecoverOptions, store: ConstStore): Promise<void> {
  const names = [...new Set(wave.map((l) => l.node.input[0] ?? ''))]
  const cursor = new Map<Layer, number>(wave.map((l) => [l, 0]))
  await streamOutputs(
    { model: pruned, names, truncate: true },
    opts.data(),
    (batch, out) => {
      for (const layer of wave) {
        const x = out.get(layer.node.input[0] ?? '')
        const t = layer.targets[cursor.get(layer) ?? 0]
        cursor.set(layer, (cursor.get(layer) ?? 0) + 1)
        if (x && t) addRows(layer, all.indexOf(layer), batch, x, t, store)
      }
    },
    { ...(opts.signal ? { signal: opts.signal } : {}), what: 'calibration' },
  )
}

function addRows(layer: Layer, li: number, batch: Batch, x: Activation, targets: Float32Array, store: ConstStore): void {
  const { groups, k, m } = shapeOf(layer, store)
  const row = new Float64Array(k)
  const plane = layer.plane
  if (layer.kind === 'conv' && !layer.geometry) {
    layer.geometry = convGeometry(layer.node, tensorDims(store.get(layer.node.input[1])!), x.dims, plane / layer.outW, layer.outW)
  }
  let r = 0
  for (let n = 0; n < batch.count; n++) {
    const positions = layer.kind === 'conv' ? samplePositions(li, batch.offset + n, plane, layer.positions) : [0]
    for (const p of positions) {
      for (let g = 0; g < groups; g++) {
        if (layer.geometry) patchRow(x, n, p, g, layer.geometry, row)
        else {
          const f = x.dims[1] ?? 0
          for (let i = 0; i < f; i++) row[i] = x.data[n * f + i] ?? 0
          if (k > f) row[f] = 1
        }
        const y = targets.subarray((r * groups + g) * m, (r * groups + g + 1) * m)
        if (layer.ls) layer.eqs[g]?.add(row, y)
        else {
          const s = layer.sums[g]
          if (!s) continue
          for (let i = 0; i < k; i++) s.x[i] = (s.x[i] as number) + (row[i] as number)
          for (let o = 0; o < m; o++) s.y[o] = (s.y[o] as number) + (y[o] as number)
          s.rows += 1
        }
      }
      r += 1
    }
  }
}

/** The layer's current weights as a k × m matrix per group (rows: fan-in, then the bias). */
function currentWeights(layer: Layer, store: ConstStore, g: number): Float64Array {
  const { k, m } = shapeOf(layer, store)
  const w = initializerToFloat32(store.get(layer.node.input[1])!)
  const bias = layer.node.input[2] ? initializerToFloat32(store.get(layer.node.input[2])!) : null
  const out = new Float64Array(k * m)
  const transB = layer.kind === 'dense' && layer.node.opType === 'Gemm' && attrInt(layer.node, 'transB', 0) === 1
  const fan = layer.kind === 'dense' && layer.node.opType !== 'Gemm' ? k : k - 1
  for (let o = 0; o < m; o++) {
    const oc = g * m + o
    for (let i = 0; i < fan; i++) {
      out[i * m + o] = layer.kind === 'conv' || transB ? (w[oc * fan + i] as number) : (w[i * m + oc] as number)
    }
    if (fan < k) out[fan * m + o] = bias?.[oc] ?? 0
  }
  return out
}

/** Writes a k × m solution per group back as the layer's weights and bias. */
function writeWeights(layer: Layer, store: ConstStore, solved: Float64Array[]): void {
  const { groups, k, m } = shapeOf(layer, store)
  const wt = store.get(layer.node.input[1])!
  const dims = tensorDims(wt)
  const fan = layer.kind === 'dense' && layer.node.opType !== 'Gemm' ? k : k - 1
  const transB = layer.kind === 'dense' && layer.node.opType === 'Gemm' && attrInt(layer.node, 'transB', 0) === 1
  const w = new Float32Array(groups * m * fan)
  const bias = new Float32Array(groups * m)
  solved.forEach((s, g) => {
    for (let o = 0; o < m; o++) {
      const oc = g * m + o
      for (let i = 0; i < fan; i++) {
        const v = s[i * m + o] as number
        if (layer.kind === 'conv' || transB) w[oc * fan + i] = v
        else w[i * (groups * m) + oc] = v
      }
      bias[oc] = fan < k ? (s[fan * m + o] as number) : 0
    }
  })
  store.replace(layer.node, 1, writeTensor(wt.name, dims, w, wt.dataType))
  if (fan === k) return
  const bt = store.get(layer.node.input[2])
  if (bt) store.replace(layer.node, 2, writeTensor(bt.name, [bias.length], bias, bt.dataType))
  else store.add(layer.node, 2, writeTensor('bias', [bias.length], bias, wt.dataType), `${layer.node.name || 'layer'}_bias`)
}

/** Solves one layer: least squares where it fits, else the bias that matches the mean output. */
function solveLayer(layer: Layer, store: ConstStore): void {
  const { groups, k, m } = shapeOf(layer, store)
  const solved: Float64Array[] = []
  for (let g = 0; g < groups; g++) {
    const current = currentWeights(layer, store, g)
    if (layer.ls) {
      const eq = layer.eqs[g]
      const w = eq && eq.rows > 0 ? eq.solve() : null
      const better = w && w.every(Number.isFinite) && eq && eq.relativeError(w) < eq.relativeError(current)
      solved.push(better ? w : current)
      continue
    }
    const s = layer.sums[g]
    const intercept = layer.kind === 'conv' || layer.node.opType === 'Gemm'
    if (!s || s.rows === 0 || !intercept) {
      solved.push(current)
      continue
    }
    // Bias compensation: b = mean(y) − W·mean(x) over the positions seen.
    for (let o = 0; o < m; o++) {
      let pred = 0
      for (let i = 0; i < k - 1; i++) pred += (current[i * m + o] as number) * ((s.x[i] as number) / s.rows)
      current[(k - 1) * m + o] = (s.y[o] as number) / s.rows - pred
    }
    solved.push(current)
  }
  writeWeights(layer, store, solved)
}

/**
 * Refits the layers of `pruned` (edited in place: it is the pruning pass's own copy) so their
 * outputs match `original`'s; `kept` is the plan's tensor → kept channels.
 */
export async function recoverPruned(original: ModelProto, pruned: ModelProto, kept: Map<string, number[]>, opts: RecoverOptions): Promise<RecoverReport> {
  const store = new ConstStore(graphOf(pruned))
  const layers = layersToRefit(pruned, kept, store)
  const report: RecoverReport = { method: opts.method, layers: layers.length, biasOnly: 0, passes: 0, samples: 0 }
  if (layers.length === 0) return report
  const waves = [...new Set(layers.map((l) => l.wave))].sort((a, b) => a - b)
  const total = waves.length + 1
  opts.onProgress?.(0, total, 'recovery: reading the parent\'s outputs')
  prepare(layers, store, opts.method)
  report.samples = await collectTargets(original, layers, opts)
  if (report.samples === 0) throw new StudioError('BAD_INPUT', 'The calibration set is empty. Choose a dataset with samples.')
  report.passes = 1
  for (const [i, wave] of waves.entries()) {
    const members = layers.filter((l) => l.wave === wave)
    opts.onProgress?.(i + 1, total, `recovery: refitting ${members.length} layer(s), wave ${i + 1} of ${waves.length}`)
    for (const layer of members) allocate(layer, store)
    await accumulateWave(pruned, members, layers, opts, store)
    for (const layer of members) {
      solveLayer(layer, store)
      layer.targets = []
      layer.eqs = []
      layer.sums = []
    }
    report.passes += 1
  }
  report.biasOnly = layers.filter((l) => !l.ls).length
  return report
}

/** Least squares or bias only per layer, and the rows it aims for. */
function prepare(layers: Layer[], store: ConstStore, method: RecoverMethod): void {
  for (const layer of layers) {
    const { k } = shapeOf(layer, store)
    layer.ls = method === 'ls' && k <= MAX_FAN_IN
    layer.want = Math.min(ROWS.max, Math.max(ROWS.min, ROWS.perUnknown * k))
  }
}

/** The accumulators of a wave's layers, allocated only for the wave (memory: one wave's XᵀX). */
function allocate(layer: Layer, store: ConstStore): void {
  const { groups, k, m } = shapeOf(layer, store)
  for (let g = 0; g < groups; g++) {
    if (layer.ls) layer.eqs.push(new NormalEquations(k, m))
    else layer.sums.push({ x: new Float64Array(k), y: new Float64Array(m), rows: 0 })
  }
}
