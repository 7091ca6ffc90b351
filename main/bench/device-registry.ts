/**
 * Live Device objects by name, made from the store's device records. `local` always exists.
 * Each device kind registers a factory (`DeviceFactory`) that turns a stored record into a Device;
 * a kind with no factory gives a clear error instead of a half-working device.
 */
import { join } from 'node:path'
import { StudioError } from '../../common/errors.js'
import type { Device } from '../../devices/device.js'
import { LocalDevice } from '../../devices/local/local-device.js'
import { parseSerialConfig } from '../../devices/serial/config.js'
import { SerialDevice } from '../../devices/serial/serial-device.js'
import { inspectModel } from '../model/inspect.js'
import { parseSshConfig } from '../../devices/ssh/ssh-config.js'
import { SshDevice } from '../../devices/ssh/ssh-device.js'
import type { Logger } from '../log.js'
import { MemorySecretStore, secretKey, type SecretStore } from '../secrets/secret-store.js'
import type { DeviceKind, DeviceRow, Store } from '../store/store.js'

export const LOCAL_DEVICE = 'local'

/** What a device factory may use besides the device's own record. */
export interface DeviceContext {
  store: Store
  logger: Logger
  /** The studio's data directory (known_hosts, caches). */
  dataDir: string
  /** Device passwords and passphrases (never in the store). */
  secrets?: SecretStore
}

/** The studio-managed known_hosts file every SSH device checks host keys against. */
export function knownHostsPath(ctx: Pick<DeviceContext, 'dataDir'>): string {
  return join(ctx.dataDir, 'known_hosts')
}

/** An SSH board from its record; secrets come from the context's SecretStore when a connect needs them. */
export const sshFactory: DeviceFactory = (row, ctx) => {
  const secrets = ctx.secrets ?? new MemorySecretStore()
  return new SshDevice({
    name: row.name,
    config: parseSshConfig(row.config, row.name),
    knownHostsPath: knownHostsPath(ctx),
    logger: ctx.logger,
    secrets: async (need) => {
      const password = need.password ? await secrets.get(secretKey(row.name, 'password')) : null
      const passphrase = need.passphrase ? await secrets.get(secretKey(row.name, 'passphrase')) : null
      return { ...(password !== null ? { password } : {}), ...(passphrase !== null ? { passphrase } : {}) }
    },
  })
}

export type DeviceFactory = (row: DeviceRow, ctx: DeviceContext) => Device

const defaultFactories: Partial<Record<DeviceKind, DeviceFactory>> = {
  local: (row) => new LocalDevice({ name: row.name }),
  serial: (row, ctx) =>
    new SerialDevice({
      name: row.name,
      config: parseSerialConfig(row.config, row.name),
      // The linked studio model's inputs/outputs: cached inspection when the store has one.
      describeModel: async (path) => {
        const cached = ctx.store.listModels().find((m) => m.path === path && m.inspect !== null)?.inspect
        const r = cached ?? (await inspectModel(path))
        return { inputs: r.inputs, outputs: r.outputs }
      },
    }),
  ssh: sshFactory,
}

export class DeviceRegistry {
  private readonly live = new Map<string, Device>()
  private readonly factories: Partial<Record<DeviceKind, DeviceFactory>>

  constructor(
    private readonly ctx: DeviceContext,
    factories: Partial<Record<DeviceKind, DeviceFactory>> = {},
  ) {
    this.factories = { ...defaultFactories, ...factories }
    const store = ctx.store
    if (!store.getDevice(LOCAL_DEVICE)) store.upsertDevice({ name: LOCAL_DEVICE, kind: 'local' })
  }

  get(name: string): Device {
    const existing = this.live.get(name)
    if (existing) return existing
    const row = this.ctx.store.getDevice(name)
    if (!row) throw new StudioError('NOT_FOUND', `No device named '${name}'. See 'edgebench device list'.`)
    const factory = this.factories[row.kind]
    if (!factory) {
      throw new StudioError(
        'BAD_INPUT',
        `Device '${name}' is a ${row.kind} device, which this build cannot drive yet.`,
      )
    }
    const device = factory(row, this.ctx)
    this.live.set(name, device)
    return device
  }

  /** Closes and forgets the live device (after its record changed or was removed). */
  async drop(name: string): Promise<void> {
    const device = this.live.get(name)
    this.live.delete(name)
    await device?.close()
  }

  async closeAll(): Promise<void> {
    const devices = [...this.live.values()]
    this.live.clear()
    await Promise.allSettled(devices.map((d) => d.close()))
  }
}
