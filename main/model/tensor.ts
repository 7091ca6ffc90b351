/**
 * ONNX tensor helpers: element types, sizes and conversion of initializer data, which may sit in
 * `raw_data` (little-endian bytes) or in one of the typed repeated fields.
 */
import type { DType } from '../../common/types.js'
import { StudioError } from '../../common/errors.js'
import { onnx, type TensorProto } from './proto.js'

/** ONNX TensorProto.DataType values used here (the enum of onnx.proto). */
export const ElemType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const

const NAMES: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
}

/** The studio's dtype name for an ONNX element type ('unknown' for types it does not name). */
export function dtypeName(elemType: number): DType {
  return NAMES[elemType] ?? 'unknown'
}

// Bytes per element; the 4-bit types (21 UINT4, 22 INT4, 23 FLOAT4E2M1) pack two per byte.
const SIZES: Record<number, number> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16,
  16: 2, 17: 1, 18: 1, 19: 1, 20: 1, 21: 0.5, 22: 0.5, 23: 0.5,
}

/** Bytes one element of this ONNX element type takes in memory (0 when unknown or string). */
export function bytesPerElement(elemType: number): number {
  return SIZES[elemType] ?? 0
}

/** int64 fields decode as Long objects; shapes and counts in CNNs fit a double exactly. */
export function toNum(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0
  return typeof v === 'number' ? v : v.toNumber()
}

/** Product of dims; NaN when a dim is negative (corrupt) so callers can tell. */
export function numElements(dims: readonly number[]): number {
  let n = 1
  for (const d of dims) {
    if (!Number.isFinite(d) || d < 0) return Number.NaN
    n *= d
  }
  return n
}

export function tensorDims(t: TensorProto): number[] {
  return t.dims.map((d) => toNum(d))
}

/** Bytes of a tensor's data as it would be stored (dtype-aware, strings by their length). */
export function tensorBytes(t: TensorProto): number {
  if (t.dataType === ElemType.STRING) return t.stringData.reduce((s, b) => s + b.length, 0)
  return Math.ceil(numElements(tensorDims(t)) * bytesPerElement(t.dataType))
}

/** Number of elements actually present in the tensor's data fields (not its dims). */
export function storedElements(t: TensorProto): number {
  const raw = t.rawData
  if (raw && raw.length > 0) {
    const size = bytesPerElement(t.dataType)
    return size > 0 ? Math.floor(raw.length / size) : 0
  }
  switch (t.dataType) {
    case ElemType.FLOAT:
      return t.floatData.length
    case ElemType.COMPLEX64:
      return t.floatData.length / 2
    case ElemType.DOUBLE:
      return t.doubleData.length
    case ElemType.COMPLEX128:
      return t.doubleData.length / 2
    case ElemType.INT64:
      return t.int64Data.length
    case ElemType.UINT32:
    case ElemType.UINT64:
      return t.uint64Data.length
    case ElemType.STRING:
      return t.stringData.length
    default:
      return t.int32Data.length
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024)
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * 2 ** (exp - 15) * (1 + frac / 1024)
}

function bfloatToFloat(b: number): number {
  const view = new DataView(new ArrayBuffer(4))
  view.setUint32(0, (b & 0xffff) << 16)
  return view.getFloat32(0)
}

/** Reads raw little-endian bytes into numbers; copies first because raw_data may be unaligned. */
function readRaw(raw: Uint8Array, elemType: number, n: number): ArrayLike<number> {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = readOne(view, elemType, i)
  return out
}

function readOne(view: DataView, elemType: number, i: number): number {
  switch (elemType) {
    case ElemType.FLOAT:
      return view.getFloat32(i * 4, true)
    case ElemType.DOUBLE:
      return view.getFloat64(i * 8, true)
    case ElemType.INT8:
      return view.getInt8(i)
    case ElemType.UINT8:
    case ElemType.BOOL:
      return view.getUint8(i)
    case ElemType.INT16:
      return view.getInt16(i * 2, true)
    case ElemType.UINT16:
      return view.getUint16(i * 2, true)
    case ElemType.FLOAT16:
      return halfToFloat(view.getUint16(i * 2, true))
    case ElemType.BFLOAT16:
      return bfloatToFloat(view.getUint16(i * 2, true))
    case ElemType.INT32:
      return view.getInt32(i * 4, true)
    case ElemType.UINT32:
      return view.getUint32(i * 4, true)
    case ElemType.INT64:
      return Number(view.getBigInt64(i * 8, true))
    case ElemType.UINT64:
      return Number(view.getBigUint64(i * 8, true))
    default:
      throw new StudioError('MODEL_UNSUPPORTED', `Tensor element type ${elemType} cannot be read as numbers.`)
  }
}

/** The tensor's values as JS numbers, whichever field holds them. */
export function tensorValues(t: TensorProto): ArrayLike<number> {
  const n = storedElements(t)
  const raw = t.rawData
  if (raw && raw.length > 0) return readRaw(raw, t.dataType, n)
  switch (t.dataType) {
    case ElemType.FLOAT:
      return t.floatData
    case ElemType.DOUBLE:
      return t.doubleData
    case ElemType.INT64:
      return t.int64Data.map((v) => toNum(v))
    case ElemType.UINT32:
    case ElemType.UINT64:
      return t.uint64Data.map((v) => toNum(v))
    case ElemType.FLOAT16:
      return t.int32Data.map(halfToFloat)
    case ElemType.BFLOAT16:
      return t.int32Data.map(bfloatToFloat)
    case ElemType.STRING:
    case ElemType.COMPLEX64:
    case ElemType.COMPLEX128:
      throw new StudioError('MODEL_UNSUPPORTED', `Tensor '${t.name}' of type ${dtypeName(t.dataType)} cannot be read as numbers.`)
    default:
      return t.int32Data
  }
}

/**
 * An initializer's values as float32, for compression and analysis. Throws MODEL_INVALID when
 * the data does not match the dims (a corrupt or external-data tensor).
 */
export function initializerToFloat32(t: TensorProto): Float32Array {
  const want = numElements(tensorDims(t))
  const values = tensorValues(t)
  if (values.length !== want) {
    throw new StudioError(
      'MODEL_INVALID',
      `Tensor '${t.name}' holds ${values.length} values but its shape [${tensorDims(t).join(', ')}] needs ${want}. Re-export the model.`,
    )
  }
  return Float32Array.from(values)
}

/** float32 → IEEE half bits, rounding to nearest even (as numpy's astype(float16) does). */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value])
  const bits = new Uint32Array(f32.buffer)[0] ?? 0
  const sign = (bits >>> 16) & 0x8000
  const exp = (bits >>> 23) & 0xff
  const mant = bits & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0) // Inf / NaN
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00 // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign // underflow → ±0
    const m = mant | 0x800000 // subnormal half: shift the implicit 1 in
    const shift = 14 - e
    const half = m >>> shift
    const rest = m & ((1 << shift) - 1)
    const mid = 1 << (shift - 1)
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0))
  }
  const half = (e << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  // A carry out of the mantissa correctly bumps the exponent (and can reach Inf).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0))
}

const INT_RANGES: Record<number, [number, number]> = {
  [ElemType.INT8]: [-128, 127],
  [ElemType.UINT8]: [0, 255],
  [ElemType.INT32]: [-(2 ** 31), 2 ** 31 - 1],
  [ElemType.INT64]: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [ElemType.BOOL]: [0, 1],
}

function encodeRaw(name: string, data: ArrayLike<number>, elemType: number): Uint8Array {
  const size = bytesPerElement(elemType)
  const bytes = new Uint8Array(data.length * size)
  const view = new DataView(bytes.buffer)
  const range = INT_RANGES[elemType]
  for (let i = 0; i < data.length; i++) {
    const v = data[i] ?? 0
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw new StudioError('BAD_INPUT', `Initializer '${name}': value ${v} at ${i} is not a ${dtypeName(elemType)}.`)
    }
    if (elemType === ElemType.FLOAT) view.setFloat32(i * 4, v, true)
    else if (elemType === ElemType.FLOAT16) view.setUint16(i * 2, floatToHalf(v), true)
    else if (elemType === ElemType.INT8) view.setInt8(i, v)
    else if (elemType === ElemType.UINT8 || elemType === ElemType.BOOL) view.setUint8(i, v)
    else if (elemType === ElemType.INT64) view.setBigInt64(i * 8, BigInt(v), true)
    else view.setInt32(i * 4, v, true)
  }
  return bytes
}

/**
 * An initializer with its data in raw_data (what ONNX exporters write). float32 by default;
 * `elemType` FLOAT16 converts (round to nearest even), INT8 / UINT8 / INT32 / INT64 / BOOL require
 * integer values in range (quantized weights, biases, shapes) and throw BAD_INPUT otherwise.
 */
export function float32ToInitializer(
  name: string,
  dims: readonly number[],
  data: ArrayLike<number>,
  elemType: number = ElemType.FLOAT,
): TensorProto {
  if (numElements(dims) !== data.length) {
    throw new StudioError('BAD_INPUT', `Initializer '${name}': ${data.length} values do not fill shape [${dims.join(', ')}].`)
  }
  const supported: number[] = [ElemType.FLOAT, ElemType.FLOAT16, ElemType.INT8, ElemType.UINT8, ElemType.INT32, ElemType.INT64, ElemType.BOOL]
  if (!supported.includes(elemType)) {
    throw new StudioError('BAD_INPUT', `Initializer '${name}': cannot write element type ${dtypeName(elemType)}.`)
  }
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: elemType, rawData: encodeRaw(name, data, elemType) })
}
