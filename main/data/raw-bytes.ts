/**
 * Raw uint8 HWC bytes of a sample at the preprocessing's size and channel count — what a serial
 * board takes (MLPerf Tiny convention: the board preprocesses itself). Same-size samples are
 * passed as views, without a copy.
 */
import { luma } from '../../common/preprocess-spec.js'
import type { PreprocessSpec } from '../../common/types.js'
import type { RawImage } from './dataset.js'
import { Resizer } from './resize.js'

export type RawConverter = (img: RawImage) => Uint8Array

export function makeRawConverter(spec: PreprocessSpec): RawConverter {
  const resizer = new Resizer(spec.resize, spec.resizeMode)
  const hw = spec.height * spec.width
  return (img) => {
    let px = img.data
    if (img.height !== spec.height || img.width !== spec.width) {
      const resized = new Uint8Array(hw * img.channels)
      resizer.resize(img.data, img.height, img.width, img.channels, spec.height, spec.width, resized)
      px = resized
    }
    if (img.channels === spec.channels) return px.subarray(0, hw * spec.channels)
    const out = new Uint8Array(hw * spec.channels)
    for (let p = 0; p < hw; p++) {
      const i = p * img.channels
      if (spec.channels === 1) {
        out[p] =
          img.channels >= 3
            ? luma(px[i] as number, px[i + 1] as number, px[i + 2] as number)
            : (px[i] as number)
      } else {
        const v = px[i] as number
        out[p * 3] = v
        out[p * 3 + 1] = img.channels >= 3 ? (px[i + 1] as number) : v
        out[p * 3 + 2] = img.channels >= 3 ? (px[i + 2] as number) : v
      }
    }
    return out
  }
}
