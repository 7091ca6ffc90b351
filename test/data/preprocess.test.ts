import { describe, expect, it } from 'vitest'
import type { PreprocessSpec, TensorInfo } from '../../common/types.js'
import { isStudioError } from '../../common/errors.js'
import { preprocessInto, preprocessSpecFor, sampleElements } from '../../main/data/preprocess.js'

function spec(p: Partial<PreprocessSpec>): PreprocessSpec {
  return { layout: 'NCHW', channels: 3, height: 2, width: 2, scale: 1, mean: [0], std: [1], ...p }
}

function input(shape: (number | string)[]): TensorInfo {
  return { name: 'input', dtype: 'float32', shape }
}

// A 2×2 RGB image, HWC: pixel p has R = 10p+1, G = 10p+2, B = 10p+3.
const rgb = Uint8Array.from([1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33])

describe('preprocessInto', () => {
  it('places channels in planes for NCHW', () => {
    const out = new Float32Array(12)
    preprocessInto(rgb, 2, 2, 3, spec({ layout: 'NCHW' }), out, 0)
    expect([...out]).toEqual([1, 11, 21, 31, 2, 12, 22, 32, 3, 13, 23, 33])
  })

  it('keeps channels interleaved for NHWC', () => {
    const out = new Float32Array(12)
    preprocessInto(rgb, 2, 2, 3, spec({ layout: 'NHWC' }), out, 0)
    expect([...out]).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33])
  })

  it('applies scale, per-channel mean and std, and writes at the offset', () => {
    const s = spec({ scale: 1 / 255, mean: [0.5, 0, 1], std: [0.5, 2, 1] })
    const out = new Float32Array(15).fill(-99)
    const pixels = Uint8Array.from([255, 255, 255, 0, 0, 0, 255, 0, 255, 0, 255, 0])
    preprocessInto(pixels, 2, 2, 3, s, out, 3)
    expect([...out.subarray(0, 3)]).toEqual([-99, -99, -99])
    const r = [1, -1, 1, -1] // (1 - 0.5) / 0.5 and (0 - 0.5) / 0.5
    const g = [0.5, 0, 0, 0.5]
    const b = [0, -1, 0, -1]
    expect([...out.subarray(3)].map((v) => Number(v.toFixed(5)))).toEqual([...r, ...g, ...b])
  })

  it('replicates grey pixels into RGB', () => {
    const out = new Float32Array(12)
    preprocessInto(Uint8Array.from([0, 100, 200, 255]), 2, 2, 1, spec({ layout: 'NHWC' }), out, 0)
    expect([...out]).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255])
  })

  it('converts RGB to grey with BT.601 luma', () => {
    const out = new Float32Array(4)
    const pixels = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 200, 200])
    preprocessInto(pixels, 2, 2, 3, spec({ channels: 1 }), out, 0)
    expect([...out]).toEqual([76, 150, 29, 200])
  })

  it('resizes bilinearly when the image size differs from the model input', () => {
    // 2×2 grey → 4×4: corners stay, inner values interpolate, and a flat image stays flat.
    const out = new Float32Array(16)
    preprocessInto(
      Uint8Array.from([0, 100, 100, 200]),
      2,
      2,
      1,
      spec({ channels: 1, height: 4, width: 4 }),
      out,
      0,
    )
    expect(out[0]).toBe(0)
    expect(out[15]).toBe(200)
    expect(out[5]).toBe(Math.round(0.75 * 0.75 * 0 + 2 * 0.75 * 0.25 * 100 + 0.25 * 0.25 * 200))
    const flat = new Float32Array(9)
    preprocessInto(
      new Uint8Array(28 * 28).fill(77),
      28,
      28,
      1,
      spec({ channels: 1, height: 3, width: 3 }),
      flat,
      0,
    )
    expect([...flat]).toEqual(new Array(9).fill(77))
  })
})

describe('channel order and resize settings', () => {
  it('swaps R and B for a BGR model (mean/std follow the model order)', () => {
    const out = new Float32Array(12)
    preprocessInto(rgb, 2, 2, 3, spec({ layout: 'NHWC', channelOrder: 'bgr', mean: [100, 0, 0] }), out, 0)
    expect([...out]).toEqual([3 - 100, 2, 1, 13 - 100, 12, 11, 23 - 100, 22, 21, 33 - 100, 32, 31])
  })

  it('resizes nearest by the pixel each output centre falls in (no new values)', () => {
    const out = new Float32Array(16)
    preprocessInto(Uint8Array.from([0, 100, 100, 200]), 2, 2, 1, spec({ channels: 1, height: 4, width: 4, resize: 'nearest' }), out, 0)
    expect([...out]).toEqual([0, 0, 100, 100, 0, 0, 100, 100, 100, 100, 200, 200, 100, 100, 200, 200])
  })

  it('keeps the aspect ratio and crops the centre in crop mode', () => {
    // A 2×6 strip (rows 0..5 left to right) to 2×2: stretch sees all columns, crop only the middle two.
    const strip = Uint8Array.from([0, 10, 20, 30, 40, 50, 0, 10, 20, 30, 40, 50])
    const crop = new Float32Array(4)
    preprocessInto(strip, 2, 6, 1, spec({ channels: 1, height: 2, width: 2, resize: 'nearest', resizeMode: 'crop' }), crop, 0)
    expect([...crop]).toEqual([20, 30, 20, 30])
    const stretch = new Float32Array(4)
    preprocessInto(strip, 2, 6, 1, spec({ channels: 1, height: 2, width: 2, resize: 'nearest' }), stretch, 0)
    expect([...stretch]).toEqual([10, 40, 10, 40])
  })
})

describe('preprocessSpecFor', () => {
  it('returns the model card spec when there is one', () => {
    const card = spec({ channels: 1, height: 28, width: 28, scale: 1 / 255, mean: [0.286], std: [0.353] })
    expect(preprocessSpecFor(card)).toEqual(card)
  })

  it('derives NCHW and NHWC defaults from the model input shape', () => {
    expect(preprocessSpecFor(input(['batch', 3, 32, 32]))).toEqual({
      layout: 'NCHW',
      channels: 3,
      height: 32,
      width: 32,
      scale: 1 / 255,
      mean: [0],
      std: [1],
    })
    const nhwc = preprocessSpecFor(input([-1, 28, 28, 1]))
    expect(nhwc).toMatchObject({ layout: 'NHWC', channels: 1, height: 28, width: 28 })
    expect(sampleElements(nhwc)).toBe(784)
  })

  it('takes the dataset size where the model leaves height and width symbolic', () => {
    expect(preprocessSpecFor(input([1, 1, 'h', 'w']), { height: 28, width: 28 })).toMatchObject({
      height: 28,
      width: 28,
    })
  })

  it('rejects a model input that is not an image batch with DATASET_MISMATCH naming the shape', () => {
    for (const shape of [
      [1, 784],
      [1, 28, 28, 28],
    ]) {
      let err: unknown
      try {
        preprocessSpecFor(input(shape))
      } catch (e) {
        err = e
      }
      expect(isStudioError(err) && err.code).toBe('DATASET_MISMATCH')
      expect((err as Error).message).toContain(`[${shape.join(', ')}]`)
    }
  })

  it('rejects a card spec with a mean per channel count that does not fit', () => {
    expect(() => preprocessSpecFor(spec({ mean: [0, 0] }))).toThrow(/mean has 2 values for 3 channel/)
  })
})
