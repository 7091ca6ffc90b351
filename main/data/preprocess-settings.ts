/**
 * A model's stored preprocessing settings → the full spec evaluation uses, checked against the
 * model's input tensor. Every mismatch (mean/std count ≠ channels, a layout whose channel dimension
 * does not fit, a size the input does not have, a dynamic size nobody gave) is one BAD_INPUT line
 * naming it, thrown before anything is stored or run.
 */
import { z } from 'zod'
import { StudioError } from '../../common/errors.js'
import { formatShape } from '../../common/image-input.js'
import { settingsShape } from '../../common/preprocess-spec.js'
import {
  type Layout,
  type PreprocessSettings,
  type PreprocessSource,
} from '../../common/preprocessing.js'
import type { Dim, PreprocessSpec, TensorInfo } from '../../common/types.js'

/** The settings as stored and as cards carry them; unknown keys (a card's `channels`) are dropped. */
export const settingsSchema = z.object(settingsShape)

/** Validates settings from an untrusted place (a card, ONNX metadata, a stored row); BAD_INPUT names the field. */
export function parseSettings(value: unknown, where: string): PreprocessSettings {
  // Stored rows and metadata may carry nulls for "not set".
  const cleaned =
    value !== null && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined))
      : value
  const r = settingsSchema.safeParse(cleaned)
  if (r.success) return r.data as PreprocessSettings
  const issue = r.error.issues[0]
  throw new StudioError('BAD_INPUT', `${where}: ${issue?.path.join('.') || 'preprocessing'} ${issue?.message ?? 'is invalid'}.`)
}

const fixed = (d: Dim | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null)
const isChannels = (d: number | null): d is 1 | 3 => d === 1 || d === 3

interface Geometry {
  layout: Layout
  channels: 1 | 3
  height: number | null
  width: number | null
}

function channelsFromOrder(s: PreprocessSettings): 1 | 3 | null {
  if (s.channelOrder === undefined) return null
  return s.channelOrder === 'gray' ? 1 : 3
}

/** Layout, channels and size from the input's shape, honouring (and checking) a given layout. */
function geometry(input: TensorInfo, s: PreprocessSettings): Geometry {
  const shape = input.shape
  const name = `input '${input.name}' ${formatShape(shape)}`
  if (shape.length !== 4) {
    throw new StudioError(
      'MODEL_UNSUPPORTED',
      `Model ${name} is not a 4-D image batch ([N, C, H, W] or [N, H, W, C]); image datasets can only evaluate image classifiers.`,
    )
  }
  const at = (layout: Layout): { c: number | null; h: number | null; w: number | null } =>
    layout === 'NCHW'
      ? { c: fixed(shape[1]), h: fixed(shape[2]), w: fixed(shape[3]) }
      : { c: fixed(shape[3]), h: fixed(shape[1]), w: fixed(shape[2]) }
  let layout = s.layout
  if (layout === undefined) {
    const nchw = at('NCHW').c
    const nhwc = at('NHWC').c
    if (nchw !== null && nhwc !== null && !isChannels(nchw) && !isChannels(nhwc)) {
      throw new StudioError(
        'MODEL_UNSUPPORTED',
        `Model ${name} takes neither 1 nor 3 channels in dimension 1 (NCHW) or 3 (NHWC); it does not take grey or RGB images.`,
      )
    }
    // NCHW wins when both fit, as it is ONNX's convention; a fixed non-channel size rules a layout out.
    layout = isChannels(nchw) ? 'NCHW' : isChannels(nhwc) ? 'NHWC' : nchw === null ? 'NCHW' : 'NHWC'
  }
  const g = at(layout)
  if (g.c !== null && !isChannels(g.c)) {
    throw new StudioError(
      'BAD_INPUT',
      `Layout ${layout} does not fit ${name}: its channel dimension (${layout === 'NCHW' ? 'second' : 'last'}) is ${g.c}, not 1 or 3.`,
    )
  }
  const channels = g.c ?? channelsFromOrder(s)
  if (channels === null) {
    throw new StudioError('BAD_INPUT', `Model ${name} has a dynamic channel count: give the channel order (rgb, bgr or gray).`)
  }
  return { layout, channels, height: g.h, width: g.w }
}

function checkChannelOrder(s: PreprocessSettings, channels: 1 | 3, name: string): void {
  const order = s.channelOrder
  if (order === 'gray' && channels !== 1) {
    throw new StudioError('BAD_INPUT', `Channel order gray needs a 1-channel input; ${name} takes ${channels} channels.`)
  }
  if ((order === 'rgb' || order === 'bgr') && channels !== 3) {
    throw new StudioError('BAD_INPUT', `Channel order ${order} needs a 3-channel input; ${name} takes 1 channel.`)
  }
}

function size(g: Geometry, s: PreprocessSettings, name: string): { height: number; width: number } {
  for (const [what, have, want] of [
    ['height', g.height, s.height],
    ['width', g.width, s.width],
  ] as const) {
    if (have !== null && want !== undefined && have !== want) {
      throw new StudioError('BAD_INPUT', `Input size ${s.height ?? '?'}×${s.width ?? '?'} does not fit ${name}: its ${what} is ${have}.`)
    }
  }
  const height = g.height ?? s.height
  const width = g.width ?? s.width
  if (height === undefined || width === undefined) {
    throw new StudioError(
      'BAD_INPUT',
      `Model ${name} has a dynamic image size: give the size it was trained at (--resize 224x224, or Size in the model's preprocessing).`,
    )
  }
  return { height, width }
}

function checkList(key: 'mean' | 'std', list: number[] | undefined, channels: number, name: string): void {
  if (list !== undefined && list.length !== 1 && list.length !== channels) {
    throw new StudioError(
      'BAD_INPUT',
      `${key} has ${list.length} values but ${name} takes ${channels} channel${channels === 1 ? '' : 's'}: give ${channels === 1 ? '1 value' : `1 or ${channels} values`}.`,
    )
  }
}

function dtypeOf(input: TensorInfo, s: PreprocessSettings, name: string): 'float32' | 'uint8' {
  const have = input.dtype === 'uint8' ? 'uint8' : ['float32', 'float16', 'unknown'].includes(input.dtype) ? 'float32' : null
  if (have === null) {
    throw new StudioError(
      'MODEL_UNSUPPORTED',
      `Model ${name} is ${input.dtype}; evaluation feeds float32 or uint8 images. Export the model with a float32 input.`,
    )
  }
  if (s.dtype !== undefined && s.dtype !== have) {
    throw new StudioError('BAD_INPUT', `Input dtype ${s.dtype} does not fit ${name}: it takes ${input.dtype}.`)
  }
  return have
}

/**
 * The spec evaluation uses: `settings` over what the input's shape and dtype say, checked against
 * the input. Float inputs default to [0, 1] (scale 1/255, mean 0, std 1); uint8 inputs take the
 * raw bytes (scale 1, mean 0, std 1) and refuse anything else.
 */
export function resolveSpec(input: TensorInfo, settings: PreprocessSettings, source: PreprocessSource): PreprocessSpec {
  const s = settings
  const name = `input '${input.name}' ${formatShape(input.shape)}`
  const g = geometry(input, s)
  checkChannelOrder(s, g.channels, name)
  checkList('mean', s.mean, g.channels, name)
  checkList('std', s.std, g.channels, name)
  const dtype = dtypeOf(input, s, name)
  const { height, width } = size(g, s, name)
  const raw = dtype === 'uint8'
  const scale = s.scale ?? (raw ? 1 : 1 / 255)
  const mean = s.mean ?? [0]
  const std = s.std ?? [1]
  if (raw && (scale !== 1 || mean.some((m) => m !== 0) || std.some((v) => v !== 1))) {
    throw new StudioError('BAD_INPUT', `Model ${name} takes raw uint8 bytes: scale, mean and std do not apply (leave them out).`)
  }
  return {
    layout: g.layout,
    channels: g.channels,
    height,
    width,
    scale,
    mean,
    std,
    channelOrder: s.channelOrder ?? (g.channels === 1 ? 'gray' : 'rgb'),
    resize: s.resize ?? 'bilinear',
    resizeMode: s.resizeMode ?? 'stretch',
    dtype,
    source,
  }
}

/** Field-wise: what `over` sets wins over `base`. */
export function mergeSettings(base: PreprocessSettings, over: PreprocessSettings): PreprocessSettings {
  const out: PreprocessSettings = { ...base }
  for (const [k, v] of Object.entries(over) as [keyof PreprocessSettings, unknown][]) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v
  }
  return out
}

/** True when nothing is set. */
export function isEmptySettings(s: PreprocessSettings): boolean {
  return Object.values(s).every((v) => v === undefined)
}
