/**
 * Shape rules of the tensor-manipulation operators (Reshape, Concat, Slice, Gather, …). Where
 * an exporter computes shapes at run time (Shape → Gather → Unsqueeze → Concat → Reshape), these
 * rules also carry the small int64 values along, so the Reshape target is known statically.
 */
import type { Dim } from '../../common/types.js'
import { attrInt, attrInts } from './graph.js'
import {
  dimOp,
  isStatic,
  keepValue,
  MAX_CONST_ELEMENTS,
  normAxis,
  numel,
  shapeOf,
  unknown,
  unravel,
  valueOf,
  type RuleInput,
  type ShapeRule,
  type TensorMeta,
} from './shape-util.js'
import { ElemType } from './tensor.js'

/** Values of a result whose every element is read from one source element (index mapping). */
function mapValues(
  outShape: Dim[],
  src: TensorMeta | undefined,
  srcIndex: (outIdx: number[], srcDims: number[]) => number,
): number[] | undefined {
  if (!src?.value || !isStatic(src.shape) || !isStatic(outShape)) return undefined
  const size = numel(outShape) ?? 0
  if (size > MAX_CONST_ELEMENTS) return undefined
  const srcDims = src.shape
  const out: number[] = []
  for (let flat = 0; flat < size; flat++) out.push(src.value[srcIndex(unravel(flat, outShape), srcDims)] ?? 0)
  return out
}

function ravel(idx: readonly number[], dims: readonly number[]): number {
  return idx.reduce((acc, v, i) => acc * (dims[i] ?? 1) + v, 0)
}

/** Axes from the attribute (older opsets) or from input 1 (newer), or undefined for "none given". */
function axesOf(r: RuleInput, inputIndex: number): number[] | undefined {
  const fromAttr = attrInts(r.node, 'axes')
  if (fromAttr) return fromAttr
  const m = r.ins[inputIndex]
  return m ? valueOf(m) : undefined
}

const reshape: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const target = valueOf(r.ins[1])
  const allowZero = attrInt(r.node, 'allowzero', 0) === 1
  const out: Dim[] = target.map((t, i) => (t === 0 && !allowZero ? (x[i] ?? '?') : t))
  const inferAt = out.indexOf(-1)
  if (inferAt >= 0) {
    const total = numel(x)
    const known = numel(out.filter((_, i) => i !== inferAt))
    out[inferAt] = total !== null && known !== null && known > 0 ? total / known : '?'
  }
  const value = keepValue(out, r.ins[0]?.value)
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: out, value }]
}

const flatten: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const axis = attrInt(r.node, 'axis', 1)
  const a = axis < 0 ? axis + x.length : axis
  const outer = numel(x.slice(0, a))
  const inner = numel(x.slice(a))
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: [outer ?? '?', inner ?? '?'], value: r.ins[0]?.value }]
}

const transpose: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const perm = attrInts(r.node, 'perm') ?? x.map((_, i) => x.length - 1 - i)
  const out = perm.map((p) => x[p] ?? '?')
  const value = mapValues(out, r.ins[0], (idx, dims) => {
    const src = new Array<number>(dims.length).fill(0)
    perm.forEach((p, i) => (src[p] = idx[i] ?? 0))
    return ravel(src, dims)
  })
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: out, value }]
}

const concat: ShapeRule = (r) => {
  const present = r.ins.filter((m): m is TensorMeta => m !== undefined)
  const shapes = present.map((m) => shapeOf(m))
  const first = shapes[0] ?? unknown()
  const axis = normAxis(attrInt(r.node, 'axis', 0), first.length)
  const out = [...first]
  out[axis] = shapes.slice(1).reduce<Dim>((acc, s) => dimOp(acc, s[axis] ?? '?', (a, b) => a + b), first[axis] ?? '?')
  let value: number[] | undefined
  if (first.length === 1 && present.every((m) => m.value)) value = keepValue(out, present.flatMap((m) => m.value!))
  return [{ dtype: present[0]?.dtype ?? 0, shape: out, value }]
}

const split: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const axis = normAxis(attrInt(r.node, 'axis', 0), x.length)
  const count = r.node.output.length
  const dim = x[axis] ?? '?'
  let sizes: Dim[] | undefined = attrInts(r.node, 'split') ?? (r.ins[1] ? valueOf(r.ins[1]) : undefined)
  if (!sizes) {
    if (typeof dim !== 'number') sizes = new Array<Dim>(count).fill('?')
    else {
      const each = Math.ceil(dim / count)
      sizes = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(each, dim - each * i)))
    }
  }
  return sizes.map((s) => {
    const shape = [...x]
    shape[axis] = s
    return { dtype: r.ins[0]?.dtype ?? 0, shape }
  })
}

function sliceAxis(dim: number, start: number, end: number, step: number): [number, number] {
  let s = start < 0 ? start + dim : start
  let e = end < 0 ? end + dim : end
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim)
    e = Math.min(Math.max(e, 0), dim)
  } else {
    s = Math.min(Math.max(s, 0), dim - 1)
    e = Math.min(Math.max(e, -1), dim - 1)
  }
  return [s, Math.max(0, Math.ceil((e - s) / step))]
}

const slice: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const old = r.opset < 10
  const starts = old ? (attrInts(r.node, 'starts') ?? unknown()) : valueOf(r.ins[1])
  const ends = old ? (attrInts(r.node, 'ends') ?? unknown()) : valueOf(r.ins[2])
  const axes = (old ? attrInts(r.node, 'axes') : r.ins[3] && valueOf(r.ins[3])) ?? starts.map((_, i) => i)
  const steps = (!old && r.ins[4] && valueOf(r.ins[4])) || starts.map(() => 1)
  const out = [...x]
  const begin = x.map(() => 0)
  const stride = x.map(() => 1)
  axes.forEach((a, i) => {
    const axis = normAxis(a, x.length)
    const dim = x[axis]
    const step = steps[i] ?? 1
    if (typeof dim !== 'number') return void (out[axis] = '?')
    const [s, n] = sliceAxis(dim, starts[i] ?? 0, ends[i] ?? dim, step)
    out[axis] = n
    begin[axis] = s
    stride[axis] = step
  })
  const value = mapValues(out, r.ins[0], (idx, dims) =>
    ravel(idx.map((v, i) => (begin[i] ?? 0) + v * (stride[i] ?? 1)), dims),
  )
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: out, value }]
}

const gather: ShapeRule = (r) => {
  const data = shapeOf(r.ins[0])
  const indices = shapeOf(r.ins[1])
  const axis = normAxis(attrInt(r.node, 'axis', 0), data.length)
  const out = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)]
  const idxValues = r.ins[1]?.value
  const dim = data[axis]
  const value = mapValues(out, r.ins[0], (idx, dims) => {
    const at = idxValues?.[ravel(idx.slice(axis, axis + indices.length), indices as number[])] ?? 0
    const src = [...idx.slice(0, axis), at < 0 && typeof dim === 'number' ? at + dim : at, ...idx.slice(axis + indices.length)]
    return ravel(src, dims)
  })
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: out, value: idxValues ? value : undefined }]
}

const unsqueeze: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const axes = axesOf(r, 1) ?? unknown()
  const rank = x.length + axes.length
  const norm = new Set(axes.map((a) => normAxis(a, rank)))
  const out: Dim[] = []
  let k = 0
  for (let i = 0; i < rank; i++) out.push(norm.has(i) ? 1 : (x[k++] ?? '?'))
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: out, value: r.ins[0]?.value }]
}

const squeeze: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const axes = axesOf(r, 1)
  if (!axes && x.some((d) => typeof d !== 'number')) unknown()
  const drop = new Set(axes ? axes.map((a) => normAxis(a, x.length)) : x.flatMap((d, i) => (d === 1 ? [i] : [])))
  const out = x.filter((_, i) => !drop.has(i))
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: out, value: r.ins[0]?.value }]
}

const shape: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const start = attrInt(r.node, 'start', 0)
  const end = attrInt(r.node, 'end', x.length)
  const dims = x.slice(start, end)
  const value = dims.every((d) => typeof d === 'number') ? (dims as number[]) : undefined
  return [{ dtype: ElemType.INT64, shape: [dims.length], value }]
}

const size: ShapeRule = (r) => {
  const n = numel(shapeOf(r.ins[0]))
  return [{ dtype: ElemType.INT64, shape: [], value: n === null ? undefined : [n] }]
}

const reduce: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const keep = attrInt(r.node, 'keepdims', 1) === 1
  const axes = axesOf(r, 1)
  const noop = attrInt(r.node, 'noop_with_empty_axes', 0) === 1
  if ((!axes || axes.length === 0) && noop) return [{ dtype: r.ins[0]?.dtype ?? 0, shape: x }]
  const set = new Set(axes && axes.length > 0 ? axes.map((a) => normAxis(a, x.length)) : x.map((_, i) => i))
  const out = keep ? x.map((d, i) => (set.has(i) ? 1 : d)) : x.filter((_, i) => !set.has(i))
  return [{ dtype: r.ins[0]?.dtype ?? 0, shape: out }]
}

const argReduce: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const axis = normAxis(attrInt(r.node, 'axis', 0), x.length)
  const keep = attrInt(r.node, 'keepdims', 1) === 1
  const out = keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis)
  return [{ dtype: ElemType.INT64, shape: out }]
}

const topK: ShapeRule = (r) => {
  const x = shapeOf(r.ins[0])
  const axis = normAxis(attrInt(r.node, 'axis', -1), x.length)
  const k = r.opset >= 10 ? (valueOf(r.ins[1])[0] ?? unknown()) : attrInt(r.node, 'k', 0)
  const out = x.map((d, i) => (i === axis ? k : d))
  return [
    { dtype: r.ins[0]?.dtype ?? 0, shape: out },
    { dtype: ElemType.INT64, shape: out },
  ]
}

export const TENSOR_RULES: Record<string, ShapeRule> = {
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Shape: shape,
  Size: size,
  ReduceMean: reduce,
  ReduceSum: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceProd: reduce,
  ReduceL1: reduce,
  ReduceL2: reduce,
  ReduceLogSumExp: reduce,
  ReduceSumSquare: reduce,
  ArgMax: argReduce,
  ArgMin: argReduce,
  TopK: topK,
}
