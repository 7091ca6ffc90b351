/**
 * Adding and removing SSH boards — shared by the CLI (`device add ssh`) and the app's API. A board
 * is stored only after a successful connect and probe, so a typo never leaves a broken record; the
 * stored config holds no secret (those go to the SecretStore, if anywhere).
 */
import { resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { StudioError } from '../../common/errors.js'
import type { SshAuth } from '../../devices/ssh/connection.js'
import { parseSshConfig } from '../../devices/ssh/ssh-config.js'
import { SshDevice } from '../../devices/ssh/ssh-device.js'
import type { Logger } from '../log.js'
import { deleteDeviceSecrets, secretKey, type SecretStore } from '../secrets/secret-store.js'
import type { DeviceRow, Store } from '../store/store.js'
import { LOCAL_DEVICE, knownHostsPath, type DeviceRegistry } from './device-registry.js'

export interface AddSshInput {
  name: string
  host: string
  port?: number
  user: string
  auth: SshAuth
  keyPath?: string
  remoteDir?: string
  password?: string
  passphrase?: string
  /** Trust an unknown host key: any (--trust-new-host-key) or only the one with this confirmed fingerprint. */
  trustNewHostKey?: true | string
}

export interface BoardsContext {
  store: Store
  devices: DeviceRegistry
  secrets: SecretStore
  dataDir: string
  logger: Logger
}

export function checkDeviceName(name: string): string {
  const n = name.trim()
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(n)) {
    throw new StudioError(
      'BAD_INPUT',
      `'${name}' is not a usable device name: use letters, digits, '.', '_' or '-' (up to 64).`,
    )
  }
  return n
}

/**
 * Connects, verifies the host key (HOST_KEY_UNKNOWN with the fingerprint unless trusted),
 * authenticates, probes, and only then records the board.
 */
export async function addSshDevice(
  ctx: BoardsContext,
  input: AddSshInput,
  signal?: AbortSignal,
): Promise<DeviceRow> {
  const name = checkDeviceName(input.name)
  if (name === LOCAL_DEVICE || ctx.store.getDevice(name)) {
    throw new StudioError(
      'BAD_INPUT',
      `A device named '${name}' already exists; choose another name or remove it first.`,
    )
  }
  const keyPath = input.keyPath ? resolve(input.keyPath) : undefined
  if (input.auth === 'key' && (!keyPath || !existsSync(keyPath))) {
    throw new StudioError('FILE_NOT_FOUND', `Private key file not found: ${input.keyPath ?? '(none given)'}.`)
  }
  const config = parseSshConfig(
    {
      host: input.host,
      port: input.port ?? 22,
      user: input.user,
      auth: input.auth,
      ...(keyPath ? { keyPath } : {}),
      ...(input.remoteDir ? { remoteDir: input.remoteDir } : {}),
    },
    name,
  )
  const device = new SshDevice({
    name,
    config,
    knownHostsPath: knownHostsPath(ctx),
    logger: ctx.logger,
    ...(input.trustNewHostKey !== undefined ? { trustNewHostKey: input.trustNewHostKey } : {}),
    secrets: () =>
      Promise.resolve({
        ...(input.password !== undefined ? { password: input.password } : {}),
        ...(input.passphrase !== undefined ? { passphrase: input.passphrase } : {}),
      }),
  })
  try {
    const info = await device.probe(signal)
    if (input.password !== undefined) await ctx.secrets.set(secretKey(name, 'password'), input.password)
    if (input.passphrase !== undefined) await ctx.secrets.set(secretKey(name, 'passphrase'), input.passphrase)
    const row = ctx.store.upsertDevice({ name, kind: 'ssh', config: { ...config }, info })
    ctx.logger.info(`added SSH board ${name} (${config.user}@${config.host}:${config.port})`)
    return row
  } finally {
    await device.close()
  }
}

/** Forgets a device, its live connection and its stored secrets; its past runs stay. */
export async function removeDevice(ctx: BoardsContext, name: string): Promise<void> {
  if (name === LOCAL_DEVICE) throw new StudioError('BAD_INPUT', 'This computer cannot be removed.')
  await ctx.devices.drop(name)
  if (!ctx.store.removeDevice(name)) {
    throw new StudioError('NOT_FOUND', `No device named '${name}'. See 'edgebench device list'.`)
  }
  await deleteDeviceSecrets(ctx.secrets, name)
}
