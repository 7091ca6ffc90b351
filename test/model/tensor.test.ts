import { describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { onnx } from '../../main/model/proto.js'
import {
  bytesPerElement,
  dtypeName,
  float32ToInitializer,
  initializerToFloat32,
  tensorBytes,
} from '../../main/model/tensor.js'

const le = (arr: ArrayBufferView): Uint8Array => new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength)

describe('initializer data in every storage form', () => {
  it('float32 raw_data at an odd offset (unaligned) reads back exactly', () => {
    const values = Float32Array.from([1.5, -2.25, 3e-8, 65504])
    const padded = new Uint8Array(17)
    padded.set(le(values), 1)
    const t = onnx.TensorProto.create({ name: 'w', dataType: 1, dims: [2, 2], rawData: padded.subarray(1) })
    expect(Array.from(initializerToFloat32(t))).toEqual(Array.from(values))
  })

  it('typed fields: float_data, int64_data, int32_data for int8 and float16 bit patterns', () => {
    const f = onnx.TensorProto.create({ name: 'f', dataType: 1, dims: [3], floatData: [0.5, 1, -1] })
    const l = onnx.TensorProto.create({ name: 'l', dataType: 7, dims: [2], int64Data: [-3, 2 ** 40] })
    const i8 = onnx.TensorProto.create({ name: 'i', dataType: 3, dims: [2], int32Data: [-128, 127] })
    // float16: 0x3c00 = 1.0, 0xc000 = -2.0, 0x7bff = 65504 (max half)
    const h = onnx.TensorProto.create({ name: 'h', dataType: 10, dims: [3], int32Data: [0x3c00, 0xc000, 0x7bff] })
    expect(Array.from(initializerToFloat32(f))).toEqual([0.5, 1, -1])
    expect(Array.from(initializerToFloat32(l))).toEqual([-3, 2 ** 40])
    expect(Array.from(initializerToFloat32(i8))).toEqual([-128, 127])
    expect(Array.from(initializerToFloat32(h))).toEqual([1, -2, 65504])
  })

  it('raw int8, int64 and float16 bytes', () => {
    const i8 = onnx.TensorProto.create({ name: 'a', dataType: 3, dims: [3], rawData: le(Int8Array.from([-1, 0, 5])) })
    const i64 = onnx.TensorProto.create({ name: 'b', dataType: 7, dims: [2], rawData: le(BigInt64Array.from([-7n, 9n])) })
    const f16 = onnx.TensorProto.create({ name: 'c', dataType: 10, dims: [1], rawData: le(Uint16Array.from([0x3800])) })
    expect(Array.from(initializerToFloat32(i8))).toEqual([-1, 0, 5])
    expect(Array.from(initializerToFloat32(i64))).toEqual([-7, 9])
    expect(Array.from(initializerToFloat32(f16))).toEqual([0.5])
  })

  it('float32ToInitializer round-trips through protobuf bytes', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1)
    const t = float32ToInitializer('conv.weight', [2, 3, 2, 2], data)
    const back = onnx.TensorProto.decode(onnx.TensorProto.encode(t).finish())
    expect(back.dims.map(Number)).toEqual([2, 3, 2, 2])
    expect(initializerToFloat32(back)).toEqual(data)
    expect(tensorBytes(back)).toBe(96)
  })

  it('refuses data that does not fill the shape', () => {
    const t = onnx.TensorProto.create({ name: 'w', dataType: 1, dims: [4], floatData: [1, 2] })
    expect(() => initializerToFloat32(t)).toThrow(StudioError)
    expect(() => float32ToInitializer('w', [3], new Float32Array(2))).toThrow(/2 values do not fill shape \[3\]/)
  })
})

describe('dtype helpers', () => {
  it('names and sizes', () => {
    expect([1, 2, 3, 6, 7, 9, 10, 11, 16].map(dtypeName)).toEqual([
      'float32', 'uint8', 'int8', 'int32', 'int64', 'bool', 'float16', 'float64', 'bfloat16',
    ])
    expect(dtypeName(999)).toBe('unknown')
    expect([1, 2, 3, 7, 10, 22].map(bytesPerElement)).toEqual([4, 1, 1, 8, 2, 0.5])
  })
})

describe('writing float16 and integer initializers', () => {
  it('float16 rounds to nearest even like numpy and reads back', () => {
    // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: even mantissa wins (1). 65520 overflows to Inf.
    const values = [0, -0, 1, -2, 0.1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65520, 2 ** -24, 2 ** -25, 6e-5, 1.5 * 2 ** -25, 3 * 2 ** -25]
    const t = float32ToInitializer('h', [values.length], values, 10)
    expect(tensorBytes(t)).toBe(values.length * 2)
    const back = Array.from(initializerToFloat32(t))
    // Expected values: numpy.array(values, float32).astype(float16), subnormals included.
    expect(back).toEqual([0, -0, 1, -2, 0.0999755859375, 1, 1.001953125, 65504, Infinity, 2 ** -24, 0, 6.002187728881836e-5, 2 ** -24, 2 ** -23])
  })

  it('int8 / int32 need integers in range', () => {
    const t = float32ToInitializer('q', [2, 2], [-128, 0, 5, 127], 3)
    expect(Array.from(initializerToFloat32(onnx.TensorProto.decode(onnx.TensorProto.encode(t).finish())))).toEqual([-128, 0, 5, 127])
    expect(() => float32ToInitializer('q', [1], [128], 3)).toThrow(/128 at 0 is not a int8/)
    expect(() => float32ToInitializer('b', [1], [0.5], 6)).toThrow(StudioError)
    expect(Array.from(initializerToFloat32(float32ToInitializer('b', [2], [-70000, 3], 6)))).toEqual([-70000, 3])
  })
})
