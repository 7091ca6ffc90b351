/**
 * What inspection validates before it reports a number (issue 14: strides of 0 gave `macs: null`,
 * byte flips negative MACs, an unknown op silently 0 MACs). Attributes no runtime accepts make the
 * model MODEL_INVALID; shapes inference cannot trust are dropped with a warning; unknown ops and
 * uncountable layers are named in warnings and make the MAC total a lower bound.
 */
import { StudioError } from '../../common/errors.js'
import { formatBytes, printable } from '../../common/format.js'
import { attrInt, attrInts } from './graph.js'
import type { NodeProto } from './proto.js'
import type { TensorMeta } from './shape-util.js'

/** Ops with a sliding window (strides, dilations, pads, kernel_shape), in the standard and MS domains. */
const WINDOW_OPS = new Set([
  'Conv', 'ConvInteger', 'QLinearConv', 'FusedConv', 'ConvTranspose',
  'MaxPool', 'AveragePool', 'LpPool', 'QLinearAveragePool', 'MaxUnpool',
])

/** Above this, a batch-1 inference's activations alone may not fit a board, or this machine. */
export const LARGE_ACTIVATION_BYTES = 1024 ** 3

const label = (n: NodeProto): string => `${printable(n.opType, 60)} '${printable(n.name || n.output[0] || '?', 80)}'`

function invalid(problem: string): never {
  throw new StudioError('MODEL_INVALID', `${problem}; no runtime can execute it. Re-export the model.`)
}

/** Refuses window attributes no runtime accepts: strides, dilations, kernel or group ≤ 0, negative pads. */
export function checkWindowAttributes(order: readonly NodeProto[]): void {
  for (const n of order) {
    if (!WINDOW_OPS.has(n.opType) || !(n.domain === '' || n.domain === 'ai.onnx' || n.domain === 'com.microsoft')) continue
    for (const name of ['strides', 'dilations', 'kernel_shape']) {
      const v = attrInts(n, name)
      if (v?.some((x) => !(x > 0))) invalid(`${label(n)} has ${name} [${v.join(', ')}]: each must be at least 1`)
    }
    const pads = attrInts(n, 'pads')
    if (pads?.some((x) => x < 0)) invalid(`${label(n)} has pads [${pads.join(', ')}]: pads cannot be negative`)
    const group = attrInt(n, 'group', 1)
    if (group < 1) invalid(`${label(n)} has group ${group}: it must be at least 1`)
  }
}

/** A dim inference can stand behind: a non-negative safe integer. */
function possible(d: number): boolean {
  return Number.isSafeInteger(d) && d >= 0
}

/**
 * Drops shapes with impossible dims (negative, fractional, infinite, or more elements than can be
 * counted) so MACs and memory skip them instead of turning them into nonsense; one warning names
 * the nodes that computed them.
 */
export function dropImpossibleShapes(order: readonly NodeProto[], tensors: Map<string, TensorMeta>): string[] {
  const bad: string[] = []
  for (const n of order) {
    for (const name of n.output) {
      const meta = name ? tensors.get(name) : undefined
      const shape = meta?.shape
      if (!meta || !shape) continue
      const nums = shape.filter((d): d is number => typeof d === 'number')
      const count = nums.reduce((a, b) => a * b, 1)
      if (nums.every(possible) && Number.isSafeInteger(count)) continue
      bad.push(`${label(n)} → [${printable(shape.join(', '), 120)}]`)
      tensors.set(name as string, { ...meta, shape: null, value: undefined })
    }
  }
  if (bad.length === 0) return []
  return [`${bad.length} layer(s) compute an impossible shape (${listed(bad)}); their MACs and memory are left out, so the totals are lower bounds. The model is probably damaged or its input size does not fit it.`]
}

/** Graph inputs with a dimension of 0 hold no data: a benchmark of them measures nothing. */
export function inputWarnings(inputs: readonly { name: string; shape: readonly (number | string)[] }[]): string[] {
  return inputs
    .filter((i) => i.shape.some((d) => d === 0))
      .map((i) => `Input '${printable(i.name, 80)}' has a dimension of size 0 ([${printable(i.shape.join(', '), 120)}]): it holds no data. Re-export the model with the real input size.`)
}

export interface MacTally {
  /** Ops the studio has no rule for, by op type (domain-qualified outside the standard one). */
  unknownOps: Map<string, number>
  /** Layers whose MACs could not be counted (their shapes are unknown). */
  uncounted: string[]
}

/** Warnings for a MAC total that leaves things out; empty when the total is complete. */
export function macWarnings(t: MacTally): string[] {
  const out: string[] = []
  if (t.unknownOps.size > 0) {
    const ops = [...t.unknownOps].map(([op, k]) => `${printable(op, 60)} ×${k}`)
    const total = [...t.unknownOps.values()].reduce((a, b) => a + b, 0)
    out.push(`${total} operator(s) the studio does not know (${listed(ops)}) are counted as 0 MACs: the MAC total is a lower bound.`)
  }
  if (t.uncounted.length > 0) {
    out.push(`MACs of ${t.uncounted.length} layer(s) could not be counted (${listed(t.uncounted.map((n) => printable(n, 80)))}): their shapes are unknown, so the MAC total is a lower bound.`)
  }
  return out
}

/** A warning when the static activation peak is large enough to exhaust memory. */
export function memoryWarning(peakActivationBytes: number, ramBytes?: number): string | null {
  const big = peakActivationBytes >= LARGE_ACTIVATION_BYTES || (ramBytes !== undefined && ramBytes > 0 && peakActivationBytes > ramBytes / 4)
  if (!big) return null
  const ram = ramBytes !== undefined && ramBytes > 0 ? ` (the device has ${formatBytes(ramBytes)})` : ''
  return `Estimated activation memory for one inference is ${formatBytes(peakActivationBytes)}${ram}: the run may exhaust memory. Check the input size the model was exported with.`
}

function listed(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}
