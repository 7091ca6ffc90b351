/**
 * Building blocks of static shape inference: the per-tensor record, dimension arithmetic that
 * tolerates symbolic dims, broadcasting, and element-wise evaluation of small constant tensors
 * (the Shape → Gather → Unsqueeze → Concat → Reshape chains exporters emit).
 */
import type { Dim } from '../../common/types.js'
import { StudioError } from '../../common/errors.js'
import type { NodeProto } from './proto.js'

/** What inference knows about one tensor. */
export interface TensorMeta {
  /** ONNX element type (TensorProto.DataType); 0 when unknown. */
  dtype: number
  /** Dims, symbolic ones as strings; null when even the rank is unknown. */
  shape: Dim[] | null
  /** Row-major values of a small constant tensor, when they are known at load time. */
  value?: number[]
}

/** A node's inputs as inference sees them (undefined for absent optional inputs). */
export interface RuleInput {
  node: NodeProto
  ins: (TensorMeta | undefined)[]
  opset: number
}

export type ShapeRule = (r: RuleInput) => TensorMeta[]

/** Constants above this many elements are tracked by shape only (they are weights, not shapes). */
export const MAX_CONST_ELEMENTS = 4096

/** Thrown by a rule when it cannot decide; the driver then records the outputs as unknown. */
export class Unknown extends Error {}

export function unknown(): never {
  throw new Unknown()
}

export function isStatic(shape: Dim[] | null): shape is number[] {
  return shape !== null && shape.every((d) => typeof d === 'number')
}

export function numel(shape: readonly Dim[]): number | null {
  let n = 1
  for (const d of shape) {
    if (typeof d !== 'number') return null
    n *= d
  }
  return n
}

/** The input's shape or a thrown Unknown. */
export function shapeOf(m: TensorMeta | undefined): Dim[] {
  if (!m || m.shape === null) unknown()
  return m.shape
}

/** The input's constant values or a thrown Unknown. */
export function valueOf(m: TensorMeta | undefined): number[] {
  if (!m || m.value === undefined) unknown()
  return m.value
}

/** Symbolic-aware arithmetic: any symbolic operand makes the result a fresh unknown '?'. */
export function dimOp(a: Dim, b: Dim, fn: (x: number, y: number) => number): Dim {
  return typeof a === 'number' && typeof b === 'number' ? fn(a, b) : '?'
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis
  if (a < 0 || a >= Math.max(rank, 1)) {
    throw new StudioError('MODEL_INVALID', `axis ${axis} is out of range for rank ${rank}`)
  }
  return a
}

/** Numpy-style broadcast of several shapes. */
export function broadcast(shapes: Dim[][]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length))
  const out: Dim[] = []
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1
      if (v === 1) continue
      if (d === 1) d = v
      else if (typeof d === 'number' && typeof v === 'number' && d !== v) {
        throw new StudioError('MODEL_INVALID', `shapes [${shapes.map((x) => x.join('×')).join('], [')}] do not broadcast`)
      } else if (typeof d === 'string' && typeof v === 'number') d = v
    }
    out.push(d)
  }
  return out
}

/**
 * Evaluates an element-wise function over broadcast constant inputs, when every input's value
 * and static shape is known and the result is small; otherwise returns undefined.
 */
export function evalElementwise(
  ins: (TensorMeta | undefined)[],
  outShape: Dim[],
  fn: (xs: number[]) => number,
): number[] | undefined {
  const size = numel(outShape)
  if (size === null || size > MAX_CONST_ELEMENTS) return undefined
  if (ins.some((m) => !m || m.value === undefined || !isStaticShape(m))) return undefined
  const shapes = ins.map((m) => m!.shape as number[])
  const dims = outShape as number[]
  const out: number[] = []
  for (let flat = 0; flat < size; flat++) {
    const idx = unravel(flat, dims)
    out.push(fn(ins.map((m, k) => m!.value![broadcastIndex(idx, shapes[k]!)] ?? 0)))
  }
  return out
}

function isStaticShape(m: TensorMeta): boolean {
  return isStatic(m.shape)
}

export function unravel(flat: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length).fill(0)
  for (let i = dims.length - 1; i >= 0; i--) {
    const d = dims[i] ?? 1
    idx[i] = flat % d
    flat = Math.floor(flat / d)
  }
  return idx
}

/** Flat index into a tensor of `shape` broadcast to the index `idx` of a higher-rank result. */
function broadcastIndex(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0
  const off = idx.length - shape.length
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] ?? 1
    flat = flat * d + (d === 1 ? 0 : (idx[off + i] ?? 0))
  }
  return flat
}

/** Integer element types, whose arithmetic truncates like C. */
export function isIntType(dtype: number): boolean {
  return [2, 3, 4, 5, 6, 7, 12, 13].includes(dtype)
}

/** A small constant's values kept only when its shape is static and it is small. */
export function keepValue(shape: Dim[] | null, value: number[] | undefined): number[] | undefined {
  if (!value || !isStatic(shape)) return undefined
  const n = numel(shape)
  return n !== null && n === value.length && n <= MAX_CONST_ELEMENTS ? value : undefined
}
