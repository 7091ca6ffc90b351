/**
 * Preprocessing specs and the per-pixel conversion from raw uint8 HWC pixels to a model's float
 * input (layout, grey↔RGB, scale, mean/std as one table lookup per pixel). Pure: shared by the
 * engine's evaluation (main/data/preprocess.ts adds resizing) and the serial simulator.
 */
import { z } from 'zod'
import { StudioError } from './errors.js'
import { imageInputGeometry } from './image-input.js'
import type { PreprocessSpec, TensorInfo } from './types.js'

const finite = z.number().refine(Number.isFinite, 'must be a finite number')

/** The fields of PreprocessSettings (common/preprocessing.ts) with their limits. */
export const settingsShape = {
  scale: finite.refine((v) => v > 0, 'must be greater than 0').optional(),
  mean: z.array(finite).min(1).max(3).optional(),
  std: z.array(finite.refine((v) => v !== 0, 'must not be 0')).min(1).max(3).optional(),
  layout: z.enum(['NCHW', 'NHWC']).optional(),
  channelOrder: z.enum(['rgb', 'bgr', 'gray']).optional(),
  resize: z.enum(['bilinear', 'nearest']).optional(),
  resizeMode: z.enum(['stretch', 'crop']).optional(),
  height: z.number().int().positive().max(16384).optional(),
  width: z.number().int().positive().max(16384).optional(),
  dtype: z.enum(['float32', 'uint8']).optional(),
  output: z.string().min(1).max(500).optional(),
}

const specSchema = z.object({
  layout: z.enum(['NCHW', 'NHWC']),
  channels: z.union([z.literal(1), z.literal(3)]),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  scale: z.number().positive(),
  mean: z.array(z.number()).min(1),
  std: z.array(z.number().refine((v) => v !== 0, 'std must not be 0')).min(1),
  channelOrder: z.enum(['rgb', 'bgr', 'gray']).optional(),
  resize: z.enum(['bilinear', 'nearest']).optional(),
  resizeMode: z.enum(['stretch', 'crop']).optional(),
  dtype: z.enum(['float32', 'uint8']).optional(),
  source: z.enum(['card', 'metadata', 'user', 'detected', 'override', 'default']).optional(),
})

/** Validates a spec from an untrusted source (a model card file, a request). */
export function parsePreprocessSpec(value: unknown, source: string): PreprocessSpec {
  const r = specSchema.safeParse(value)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new StudioError(
      'MODEL_INVALID',
      `${source}: invalid preprocessing (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}). ` +
        'Expected { layout: NCHW|NHWC, channels: 1|3, height, width, scale, mean: [..], std: [..] }.',
    )
  }
  const spec = r.data
  for (const [key, list] of [
    ['mean', spec.mean],
    ['std', spec.std],
  ] as const) {
    if (list.length !== 1 && list.length !== spec.channels) {
      throw new StudioError(
        'MODEL_INVALID',
        `${source}: preprocessing.${key} has ${list.length} values for ${spec.channels} channel(s); give 1 or ${spec.channels}.`,
      )
    }
  }
  return spec
}

/**
 * The preprocessing of a model: its card's spec when it has one (validated, since cards are files);
 * for a model input without a card, the default — resize to the input's H×W, scale 1/255, mean 0,
 * std 1, channels and layout from the input shape. `fallbackSize` (e.g. the dataset's) is used
 * where the model's height or width is symbolic.
 */
export function preprocessSpecFor(
  cardSpecOrInput: PreprocessSpec | TensorInfo,
  fallbackSize?: { height: number; width: number },
): PreprocessSpec {
  if (!('shape' in cardSpecOrInput)) return parsePreprocessSpec(cardSpecOrInput, 'model card')
  const input = cardSpecOrInput
  const g = imageInputGeometry(input)
  const height = g.height ?? fallbackSize?.height
  const width = g.width ?? fallbackSize?.width
  if (height === undefined || width === undefined) {
    throw new StudioError(
      'DATASET_MISMATCH',
      `Model input '${input.name}' [${input.shape.join(', ')}] does not fix its image size; ` +
        'add preprocessing (height, width) to its model card.',
    )
  }
  return { layout: g.layout, channels: g.channels, height, width, scale: 1 / 255, mean: [0], std: [1] }
}

/** Floats per preprocessed sample. */
export function sampleElements(spec: PreprocessSpec): number {
  return spec.channels * spec.height * spec.width
}

export function makeLuts(spec: PreprocessSpec): Float32Array[] {
  return Array.from({ length: spec.channels }, (_, c) => {
    const mean = spec.mean[c] ?? spec.mean[0] ?? 0
    const std = spec.std[c] ?? spec.std[0] ?? 1
    const lut = new Float32Array(256)
    for (let v = 0; v < 256; v++) lut[v] = (v * spec.scale - mean) / std
    return lut
  })
}

/** ITU-R BT.601 luma in 16-bit fixed point, as PIL's convert('L'). */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16
}

export function writeGrey(
  px: Uint8Array,
  sc: number,
  hw: number,
  lut: Float32Array,
  out: Float32Array,
  o: number,
): void {
  if (sc === 1) {
    for (let p = 0; p < hw; p++) out[o + p] = lut[px[p] as number] as number
  } else if (sc >= 3) {
    for (let p = 0, i = 0; p < hw; p++, i += sc) {
      out[o + p] = lut[luma(px[i] as number, px[i + 1] as number, px[i + 2] as number)] as number
    }
  } else {
    for (let p = 0; p < hw; p++) out[o + p] = lut[px[p * sc] as number] as number
  }
}

export function writeRgb(
  px: Uint8Array,
  sc: number,
  hw: number,
  nchw: boolean,
  luts: Float32Array[],
  out: Float32Array,
  o: number,
  bgr = false,
): void {
  for (let c = 0; c < 3; c++) {
    const lut = luts[c] as Float32Array
    // Grey sources are replicated into all three channels; BGR models get R and B swapped
    // (mean[c]/std[c] follow the model's own channel order).
    const src = sc >= 3 ? (bgr ? 2 - c : c) : 0
    if (nchw) {
      const base = o + c * hw
      for (let p = 0, i = src; p < hw; p++, i += sc) out[base + p] = lut[px[i] as number] as number
    } else {
      for (let p = 0, i = src, j = o + c; p < hw; p++, i += sc, j += 3)
        out[j] = lut[px[i] as number] as number
    }
  }
}

/**
 * Converts one image already at the spec's height × width (`srcChannels` interleaved, HWC) into
 * `out` at `offset`. Tables are built once per writer.
 */
export function makePixelWriter(
  spec: PreprocessSpec,
): (px: Uint8Array, srcChannels: number, out: Float32Array, offset: number) => void {
  const luts = makeLuts(spec)
  const hw = spec.height * spec.width
  return (px, sc, out, offset) => {
    if (px.length < hw * sc) {
      throw new StudioError(
        'DATASET_INVALID',
        `An image holds ${px.length} bytes, fewer than ${spec.height}×${spec.width}×${sc}.`,
      )
    }
    if (spec.channels === 1) writeGrey(px, sc, hw, luts[0] as Float32Array, out, offset)
    else writeRgb(px, sc, hw, spec.layout === 'NCHW', luts, out, offset, spec.channelOrder === 'bgr')
  }
}
