/**
 * Static peak of activation memory (docs/measurement.md): walk the nodes in topological order, keep
 * each tensor alive from its producer (graph inputs: from the start) until its last consumer
 * (graph outputs: to the end), and take the maximum of the live bytes. Constants are weights,
 * not activations, and are left out. Batch 1, dtype-aware.
 */
import type { NodeProto } from './proto.js'
import { numel, type TensorMeta } from './shape-util.js'
import { bytesPerElement } from './tensor.js'

export interface LivenessInput {
  order: readonly NodeProto[]
  tensors: ReadonlyMap<string, TensorMeta>
  /** Graph inputs that are not initializers. */
  inputs: readonly string[]
  outputs: readonly string[]
  /** Initializers and Constant outputs. */
  constants: ReadonlySet<string>
}

/** Bytes of one tensor for batch 1; 0 when its shape is unknown. */
export function activationBytes(meta: TensorMeta | undefined): number {
  if (!meta?.shape) return 0
  const n = numel(meta.shape)
  return n === null ? 0 : Math.ceil(n * bytesPerElement(meta.dtype))
}

/** The largest number of activation bytes alive at once while the graph runs. */
export function peakActivationBytes(g: LivenessInput): number {
  const end = g.order.length
  const lastUse = new Map<string, number>()
  g.order.forEach((n, i) => n.input.forEach((name) => name && lastUse.set(name, i)))
  for (const o of g.outputs) lastUse.set(o, end)
  const live = new Map<string, number>()
  let current = 0
  const add = (name: string): void => {
    if (!name || g.constants.has(name) || live.has(name)) return
    const bytes = activationBytes(g.tensors.get(name))
    live.set(name, bytes)
    current += bytes
  }
  g.inputs.forEach(add)
  let peak = current
  g.order.forEach((node, i) => {
    node.output.forEach(add)
    peak = Math.max(peak, current)
    for (const [name, bytes] of live) {
      if ((lastUse.get(name) ?? i) <= i) {
        live.delete(name)
        current -= bytes
      }
    }
  })
  return peak
}
