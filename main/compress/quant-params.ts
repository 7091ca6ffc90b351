/** Scale / zero-point arithmetic of linear quantization (ONNX QuantizeLinear semantics). */
import type { Range } from './calibrate.js'

export type ActivationType = 'uint8' | 'int8'

export interface QParams {
  scale: number
  zeroPoint: number
}

/** Asymmetric activation parameters; the range always includes 0 so zero is exact (padding). */
export function activationParams(r: Range, type: ActivationType): QParams {
  const lo = Math.min(0, Number.isFinite(r.min) ? r.min : 0)
  const hi = Math.max(0, Number.isFinite(r.max) ? r.max : 0)
  const scale = hi > lo ? (hi - lo) / 255 : 1
  const qmin = type === 'uint8' ? 0 : -128
  const zeroPoint = Math.min(qmin + 255, Math.max(qmin, Math.round(qmin - lo / scale)))
  return { scale, zeroPoint }
}

/** Symmetric int8 weights in [-127, 127], per output channel along `axis` or per tensor. */
export function quantizeWeights(
  w: Float32Array,
  dims: readonly number[],
  axis: number | null,
): { q: Int8Array; scales: Float32Array } {
  const channels = axis === null ? 1 : (dims[axis] ?? 1)
  const inner = axis === null ? w.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1)
  const channelOf = (i: number): number => (axis === null ? 0 : Math.floor(i / inner) % channels)
  const absMax = new Float32Array(channels)
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i)
    absMax[c] = Math.max(absMax[c] as number, Math.abs(w[i] as number))
  }
  const scales = absMax.map((m) => (m > 0 ? m / 127 : 1))
  const q = new Int8Array(w.length)
  for (let i = 0; i < w.length; i++) {
    const v = Math.round((w[i] as number) / (scales[channelOf(i)] as number))
    q[i] = Math.max(-127, Math.min(127, v))
  }
  return { q, scales }
}

/** Bias as int32 with scale = input scale × weight scale (per channel), zero point 0. */
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(b.length)
  const q = new Int32Array(b.length)
  for (let i = 0; i < b.length; i++) {
    const s = inputScale * (weightScales.length === 1 ? (weightScales[0] as number) : (weightScales[i] as number))
    scales[i] = s
    q[i] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round((b[i] as number) / s)))
  }
  return { q, scales }
}
