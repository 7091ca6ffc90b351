/**
 * Registering serial boards and finding the model a board carries, shared by the CLI
 * (`device add serial`, `bench`/`eval --device <board>` without a model) and the API handlers.
 *
 * A board's firmware carries its model. When the record links a studio model (`--model`), runs are
 * filed under it (size, MACs, card, preprocessing). Otherwise runs are filed under a "firmware"
 * model record made for the board's model id, so the runs table always has a model to point at.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { StudioError, toStudioError, type ErrorInfo } from '../common/errors.js'
import type { DeviceInfo } from '../common/types.js'
import { parseSerialConfig, type SerialConfig, type SerialConfigInput } from '../devices/serial/config.js'
import { FIRMWARE_PREFIX } from '../devices/serial/serial-device.js'
import { listDatasets } from './data/datasets.js'
import { resourcesDir } from './paths.js'
import type { DeviceRow, ModelRow } from './store/store.js'
import type { Studio } from './studio.js'

export interface AddSerialInput {
  name: string
  path: string
  baudRate?: number
  dataBits?: 5 | 6 | 7 | 8
  parity?: SerialConfig['parity']
  stopBits?: SerialConfig['stopBits']
  /** A model file, a stored model's id or name; the studio model the firmware's model is. */
  model?: string
  modelId?: number
  dataset?: string
  windowSeconds?: number
  /** Input byte format (uint8 HWC) when no studio model says it. */
  input?: { height: number; width: number; channels: 1 | 3 }
  /** Probe the board after saving (default true); a failed probe keeps the record. */
  probe?: boolean
}

export interface AddSerialOutcome {
  device: DeviceRow
  info: DeviceInfo | null
  probeError: ErrorInfo | null
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** A stored model by id, by file (imported), or by name. */
export async function resolveStudioModel(studio: Studio, ref: string | number): Promise<ModelRow> {
  if (typeof ref === 'number' || /^\d+$/.test(ref)) {
    const row = studio.store.getModel(Number(ref))
    if (!row)
      throw new StudioError('NOT_FOUND', `No model with id ${ref}. See the Models view or 'edgebench runs'.`)
    return row
  }
  if (existsSync(ref)) return studio.importModel(ref)
  const byName = studio.store.listModels().filter((m) => m.name === ref)
  const found = byName.length > 0 ? byName : (await studio.ensureZoo()).filter((m) => m.name === ref)
  const row = found[0]
  if (!row)
    throw new StudioError(
      'NOT_FOUND',
      `No model file or stored model named '${ref}'. Give an .onnx path or a model id.`,
    )
  return row
}

async function checkDataset(name: string): Promise<void> {
  if (existsSync(name)) return
  const known = (await listDatasets(resourcesDir())).map((d) => d.name)
  if (!known.includes(name)) {
    throw new StudioError(
      'NOT_FOUND',
      `No dataset named '${name}'. Known: ${known.join(', ')}; or give a dataset folder.`,
    )
  }
}

export async function addSerialDevice(
  studio: Studio,
  input: AddSerialInput,
  signal?: AbortSignal,
): Promise<AddSerialOutcome> {
  if (!NAME.test(input.name)) {
    throw new StudioError(
      'BAD_INPUT',
      `Device name '${input.name}' must be 1–64 letters, digits, '.', '_' or '-'.`,
    )
  }
  const existing = studio.store.getDevice(input.name)
  if (existing && existing.kind !== 'serial') {
    throw new StudioError(
      'BAD_INPUT',
      `A ${existing.kind} device is already named '${input.name}'; pick another name.`,
    )
  }
  const modelRef = input.modelId ?? input.model
  const model = modelRef === undefined ? null : await resolveStudioModel(studio, modelRef)
  if (input.dataset !== undefined) await checkDataset(input.dataset)
  const raw: SerialConfigInput = {
    path: input.path,
    ...(input.baudRate !== undefined ? { baudRate: input.baudRate } : {}),
    ...(input.dataBits !== undefined ? { dataBits: input.dataBits } : {}),
    ...(input.parity !== undefined ? { parity: input.parity } : {}),
    ...(input.stopBits !== undefined ? { stopBits: input.stopBits } : {}),
    ...(model ? { studioModelId: model.id } : {}),
    ...(input.dataset !== undefined ? { dataset: input.dataset } : {}),
    ...(input.windowSeconds !== undefined ? { windowSeconds: input.windowSeconds } : {}),
    ...(input.input !== undefined ? { input: input.input } : {}),
  }
  const config = parseSerialConfig(raw, input.name)
  await studio.devices.drop(input.name)
  let device = studio.store.upsertDevice({ name: input.name, kind: 'serial', config: { ...config } })
  if (input.probe === false) return { device, info: null, probeError: null }
  try {
    const info = await studio.probe(input.name, signal)
    const boardModel = typeof info.extra?.modelId === 'string' ? info.extra.modelId : undefined
    if (boardModel !== undefined) {
      await studio.devices.drop(input.name)
      device = studio.store.upsertDevice({
        name: input.name,
        kind: 'serial',
        config: { ...config, boardModel },
        info,
      })
    }
    return { device: studio.store.getDevice(input.name) ?? device, info, probeError: null }
  } catch (e) {
    const err = toStudioError(e)
    return { device, info: null, probeError: { code: err.code, message: err.message } }
  }
}

/**
 * The model a serial board's runs are filed under: the linked studio model, else a firmware model
 * record for the board's model id (probing the board to learn it when needed).
 */
export async function boardModelFor(
  studio: Studio,
  deviceName: string,
  signal?: AbortSignal,
): Promise<ModelRow> {
  const row = studio.store.getDevice(deviceName)
  if (!row)
    throw new StudioError('NOT_FOUND', `No device named '${deviceName}'. See 'edgebench device list'.`)
  if (row.kind !== 'serial') {
    throw new StudioError(
      'BAD_INPUT',
      `Give a model: only serial boards carry their own model, and '${deviceName}' is a ${row.kind} device.`,
    )
  }
  const config = parseSerialConfig(row.config, row.name)
  if (config.studioModelId !== undefined) {
    const linked = studio.store.getModel(config.studioModelId)
    if (linked) return linked
  }
  let boardModel = config.boardModel
  if (boardModel === undefined) {
    const info = await studio.probe(deviceName, signal)
    boardModel = typeof info.extra?.modelId === 'string' ? info.extra.modelId : 'unknown'
  }
  const path = `${FIRMWARE_PREFIX}${deviceName}/${boardModel}`
  const sha256 = createHash('sha256').update(`firmware:${deviceName}:${boardModel}`).digest('hex')
  return (
    studio.store.getModelBySha(sha256) ??
    studio.store.upsertModel({
      name: `${boardModel} (firmware on ${deviceName})`,
      path,
      sha256,
      family: 'firmware',
      kind: 'firmware',
    })
  )
}

/** The dataset a board's accuracy runs use when none is given. */
export function boardDataset(studio: Studio, deviceName: string): string | undefined {
  const d = studio.store.getDevice(deviceName)?.config.dataset
  return typeof d === 'string' ? d : undefined
}
