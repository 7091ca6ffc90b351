/**
 * The preprocessing flags `model set` stores and `eval`, `sweep` and `quantize` take for one run:
 * --preset, --mean, --std, --scale, --layout, --channel-order, --resize, --dtype, --output, --labels.
 * Parsing only; whether the values fit the model is checked against it (main/model-feed.ts).
 */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Command } from 'commander'
import { StudioError } from '../../common/errors.js'
import {
  PRESET_NAMES,
  parseLabelText,
  presetById,
  type ChannelOrder,
  type PreprocessingRequest,
  type PreprocessSettings,
} from '../../common/preprocessing.js'

export interface PreprocessFlags {
  preset?: string
  mean?: string
  std?: string
  scale?: string
  layout?: string
  channelOrder?: string
  resize?: string
  dtype?: string
  output?: string
  labels?: string
}

/**
 * Adds the flags to a command; `what` ends each help line ("for this run", "to store"). Commands
 * whose -o/--output is a file leave out --output (`withOutput` false).
 */
export function addPreprocessFlags(cmd: Command, what: string, withOutput = true): Command {
  cmd
    .option('--preset <name>', `preprocessing preset ${what}: ${PRESET_NAMES}`)
    .option('--mean <a[,b,c]>', `per-channel mean subtracted after scaling ${what} (1 value or one per channel)`)
    .option('--std <a[,b,c]>', `per-channel std divided by ${what}`)
    .option('--scale <x>', `pixel scale ${what}, e.g. 1/255 (x = pixel·scale − mean) / std)`)
    .option('--layout <layout>', `input layout ${what}: nchw or nhwc`)
    .option('--channel-order <order>', `channel order ${what}: rgb, bgr or gray`)
    .option('--resize <how>', `resizing ${what}: bilinear|nearest, stretch|crop and a size HxW for dynamic inputs, comma-separated (e.g. bilinear,crop,224x224)`)
    .option('--dtype <type>', `input type ${what}: float32 or uint8 (raw bytes)`)
    .option('--labels <file>', `label file ${what}: one class name per line, in output order`)
  if (withOutput) cmd.option('--output <name>', `the output holding the class scores ${what} (models with several)`)
  return cmd
}

function numbers(flag: string, value: string): number[] {
  const parts = value.split(',').map((s) => s.trim())
  const out = parts.map(number)
  if (parts.length === 0 || parts.length > 3 || out.some((n) => !Number.isFinite(n))) {
    throw new StudioError('BAD_INPUT', `${flag} takes 1 to 3 numbers separated by commas (e.g. 0.485,0.456,0.406), not '${value}'.`)
  }
  return out
}

/** A number, or a fraction such as 1/255. */
function number(text: string): number {
  const m = /^([-+]?[\d.eE+-]+)\s*\/\s*([\d.eE+-]+)$/.exec(text)
  if (m) return Number(m[1]) / Number(m[2])
  return text === '' ? NaN : Number(text)
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const v = value.trim().toLowerCase()
  const hit = allowed.find((a) => a.toLowerCase() === v)
  if (!hit) throw new StudioError('BAD_INPUT', `${flag} must be one of ${allowed.join(', ')}, not '${value}'.`)
  return hit
}

/** --resize tokens: a method, a mode and a size, in any order. */
function resizeFrom(value: string): Pick<PreprocessSettings, 'resize' | 'resizeMode' | 'height' | 'width'> {
  const out: Pick<PreprocessSettings, 'resize' | 'resizeMode' | 'height' | 'width'> = {}
  for (const raw of value.split(',')) {
    const t = raw.trim().toLowerCase()
    const size = /^(\d+)x(\d+)$/.exec(t)
    if (t === 'bilinear' || t === 'nearest') out.resize = t
    else if (t === 'stretch' || t === 'crop') out.resizeMode = t
    else if (size && Number(size[1]) > 0 && Number(size[2]) > 0) {
      out.height = Number(size[1])
      out.width = Number(size[2])
    } else {
      throw new StudioError('BAD_INPUT', `--resize takes bilinear|nearest, stretch|crop and a size like 224x224, comma-separated; '${raw.trim()}' is none of them.`)
    }
  }
  return out
}

async function labelsFrom(file: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new StudioError('FILE_NOT_FOUND', `Label file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path.`, { cause: e })
  }
  return parseLabelText(text)
}

/** The request the flags make; undefined when none was given. */
export async function preprocessFromFlags(f: PreprocessFlags): Promise<PreprocessingRequest | undefined> {
  const settings: PreprocessSettings = {}
  if (f.mean !== undefined) settings.mean = numbers('--mean', f.mean)
  if (f.std !== undefined) settings.std = numbers('--std', f.std)
  if (f.scale !== undefined) {
    const s = number(f.scale.trim())
    if (!Number.isFinite(s) || s <= 0) throw new StudioError('BAD_INPUT', `--scale must be a number greater than 0 (e.g. 1/255), not '${f.scale}'.`)
    settings.scale = s
  }
  if (f.layout !== undefined) settings.layout = oneOf('--layout', f.layout, ['NCHW', 'NHWC'] as const)
  if (f.channelOrder !== undefined) settings.channelOrder = oneOf<ChannelOrder>('--channel-order', f.channelOrder, ['rgb', 'bgr', 'gray'])
  if (f.resize !== undefined) Object.assign(settings, resizeFrom(f.resize))
  if (f.dtype !== undefined) settings.dtype = oneOf('--dtype', f.dtype, ['float32', 'uint8'] as const)
  if (f.output !== undefined) settings.output = f.output
  if (f.preset !== undefined && !presetById(f.preset)) {
    throw new StudioError('BAD_INPUT', `Unknown preset '${f.preset}'; choose one of ${PRESET_NAMES}.`)
  }
  const req: PreprocessingRequest = {
    ...(f.preset !== undefined ? { preset: f.preset } : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
  }
  if (f.labels !== undefined) {
    req.labels = await labelsFrom(f.labels)
    req.labelsSource = basename(f.labels)
  }
  return Object.keys(req).length > 0 ? req : undefined
}
