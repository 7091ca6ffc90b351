/**
 * Unstructured magnitude pruning: the smallest-magnitude weights of Conv / Gemm / MatMul become
 * zero, either against one threshold for the whole model or layer by layer. Shapes do not change,
 * so the model runs exactly as before on dense kernels; what shrinks is the compressed file.
 */
import { graphOf, type ModelProto, type TensorProto } from '../model/proto.js'
import { ElemType, initializerToFloat32, tensorDims } from '../model/tensor.js'
import {
  assertPrunable,
  assertFraction,
  cloneModel,
  WEIGHT_OPS,
  writeTensor,
  type PruneReport,
} from './prune-common.js'

export interface UnstructuredOptions {
  /** Fraction of the prunable weights to set to zero, in (0, 1). */
  sparsity: number
  /** 'global' (default): one magnitude threshold over all layers; 'per-layer': each layer to the sparsity. */
  scope?: 'global' | 'per-layer'
}

interface Target {
  tensor: TensorProto
  layer: string
  values: Float32Array
}

/** Weight initializers (input 1) of Conv / Gemm / MatMul, each once even when shared. */
function targetsOf(model: ModelProto): Target[] {
  const graph = graphOf(model)
  const inits = new Map(graph.initializer.map((t) => [t.name, t]))
  const seen = new Set<string>()
  const out: Target[] = []
  for (const node of graph.node) {
    if (!WEIGHT_OPS.has(node.opType) || (node.domain && node.domain !== 'ai.onnx')) continue
    const name = node.input[1]
    const t = name ? inits.get(name) : undefined
    // Biases are left alone: they are few, and zeroing them shifts every activation of a channel.
    if (!t || seen.has(t.name) || tensorDims(t).length < 2) continue
    if (t.dataType !== ElemType.FLOAT && t.dataType !== ElemType.FLOAT16) continue
    seen.add(t.name)
    out.push({ tensor: t, layer: node.name || t.name, values: initializerToFloat32(t) })
  }
  return out
}

function countZeros(values: Float32Array): number {
  let z = 0
  for (const v of values) if (v === 0) z++
  return z
}

/**
 * Zeroes exactly `k` of the given values (smallest magnitude first; already-zero weights count),
 * in place. Ties at the threshold are broken by position so the result is deterministic.
 */
function zeroSmallest(arrays: Float32Array[], k: number): void {
  const total = arrays.reduce((s, a) => s + a.length, 0)
  if (k <= 0 || total === 0) return
  const mags = new Float32Array(total)
  let i = 0
  for (const a of arrays) for (const v of a) mags[i++] = Math.abs(v)
  mags.sort()
  const threshold = mags[Math.min(k, total) - 1] ?? 0
  let below = 0
  for (const a of arrays) for (const v of a) if (Math.abs(v) < threshold) below++
  let atThreshold = k - below
  for (const a of arrays) {
    for (let j = 0; j < a.length; j++) {
      const m = Math.abs(a[j] ?? 0)
      if (m < threshold) a[j] = 0
      else if (m === threshold && atThreshold > 0) {
        a[j] = 0
        atThreshold--
      }
    }
  }
}

/** Magnitude pruning of a float model; returns a new model (the input is not modified). */
export function pruneUnstructured(model: ModelProto, opts: UnstructuredOptions): { model: ModelProto; report: PruneReport } {
  assertFraction(opts.sparsity, 'sparsity')
  assertPrunable(model)
  const scope = opts.scope ?? 'global'
  const out = cloneModel(model)
  const targets = targetsOf(out)
  const before = targets.map((t) => t.values.length - countZeros(t.values))
  if (scope === 'global') {
    const total = targets.reduce((s, t) => s + t.values.length, 0)
    zeroSmallest(
      targets.map((t) => t.values),
      Math.round(opts.sparsity * total),
    )
  } else {
    for (const t of targets) zeroSmallest([t.values], Math.round(opts.sparsity * t.values.length))
  }
  const graph = graphOf(out)
  const index = new Map(graph.initializer.map((t, i) => [t.name, i]))
  for (const t of targets) {
    const at = index.get(t.tensor.name)
    if (at !== undefined) graph.initializer[at] = writeTensor(t.tensor.name, tensorDims(t.tensor), t.values, t.tensor.dataType)
  }
  const total = targets.reduce((s, t) => s + t.values.length, 0)
  const zeros = targets.reduce((s, t) => s + countZeros(t.values), 0)
  const layers = targets.map((t, i) => ({ name: t.layer, before: before[i] ?? 0, after: t.values.length - countZeros(t.values) }))
  const notes = [
    'Dense kernels do not run faster on zeros: the pruned model has the same shapes, file size and latency as its parent. ' +
      'The gain is the compressed (gzip) size, and a starting point for sparse runtimes or fine-tuning.',
  ]
  if (scope === 'global' && layers.length > 0) {
    const per = layers.map((l, i) => 1 - l.after / (targets[i]?.values.length || 1))
    notes.push(
      `One global magnitude threshold: layer sparsity ranges from ${pct(Math.min(...per))} to ${pct(Math.max(...per))}.`,
    )
  }
  if (targets.length === 0) notes.push('The model has no float Conv / Gemm / MatMul weight initializers; nothing was pruned.')
  return {
    model: out,
    report: { method: 'unstructured', ratio: opts.sparsity, scope, layers, skipped: [], sparsity: total ? zeros / total : 0, notes },
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`
}
