/**
 * Raw uint8 pixels → the model's input: resize (bilinear/nearest, stretch/crop), grey↔RGB, RGB/BGR,
 * layout, scale, mean/std.
 * Evaluation preprocesses every sample of a split, so the per-pixel work is one table lookup:
 * (pixel · scale − mean[c]) / std[c] takes only 256 values per channel.
 */
import { StudioError } from '../../common/errors.js'
import { makeLuts, writeGrey, writeRgb } from '../../common/preprocess-spec.js'
import type { PreprocessSpec } from '../../common/types.js'
import type { RawImage } from './dataset.js'
import { Resizer } from './resize.js'

export { parsePreprocessSpec, preprocessSpecFor, sampleElements } from '../../common/preprocess-spec.js'

/** Preprocesses one image into `out` at `offset` (sampleElements(spec) floats). */
export type Preprocessor = (img: RawImage, out: Float32Array, offset: number) => void

/** A preprocessor for one spec, with its lookup tables and resize scratch built once. */
export function makePreprocessor(spec: PreprocessSpec): Preprocessor {
  const luts = makeLuts(spec)
  const hw = spec.height * spec.width
  const resizer = new Resizer(spec.resize, spec.resizeMode)
  let scratch = new Uint8Array(0)
  return (img, out, offset) => {
    let px = img.data
    if (img.height !== spec.height || img.width !== spec.width) {
      const need = hw * img.channels
      if (scratch.length < need) scratch = new Uint8Array(need)
      resizer.resize(img.data, img.height, img.width, img.channels, spec.height, spec.width, scratch)
      px = scratch
    } else if (px.length < hw * img.channels) {
      throw new StudioError('DATASET_INVALID', `An image holds ${px.length} bytes, fewer than its size says.`)
    }
    if (spec.channels === 1) writeGrey(px, img.channels, hw, luts[0] as Float32Array, out, offset)
    else writeRgb(px, img.channels, hw, spec.layout === 'NCHW', luts, out, offset, spec.channelOrder === 'bgr')
  }
}

const cache = new WeakMap<PreprocessSpec, Preprocessor>()

/**
 * Preprocesses raw HWC pixels (srcH × srcW × srcC) into `out` starting at `offset`. Tables are
 * cached per spec object, so calling this per image costs no allocation after the first call.
 */
export function preprocessInto(
  pixelsHWC: Uint8Array,
  srcH: number,
  srcW: number,
  srcC: number,
  spec: PreprocessSpec,
  out: Float32Array,
  offset: number,
): void {
  let p = cache.get(spec)
  if (p === undefined) {
    p = makePreprocessor(spec)
    cache.set(spec, p)
  }
  p({ data: pixelsHWC, height: srcH, width: srcW, channels: srcC }, out, offset)
}
