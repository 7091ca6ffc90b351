/**
 * Live Device objects by name, made from the store's device records. `local` always exists.
 * Device kinds that have not landed yet give a clear error instead of a half-working device.
 */
import { StudioError } from '../../common/errors.js'
import type { Device } from '../../devices/device.js'
import { LocalDevice } from '../../devices/local/local-device.js'
import type { Store } from '../store/store.js'

export const LOCAL_DEVICE = 'local'

export class DeviceRegistry {
  private readonly live = new Map<string, Device>()

  constructor(private readonly store: Store) {
    if (!store.getDevice(LOCAL_DEVICE)) store.upsertDevice({ name: LOCAL_DEVICE, kind: 'local' })
  }

  get(name: string): Device {
    const existing = this.live.get(name)
    if (existing) return existing
    const row = this.store.getDevice(name)
    if (!row) throw new StudioError('NOT_FOUND', `No device named '${name}'. See 'edgebench device list'.`)
    if (row.kind !== 'local') {
      throw new StudioError(
        'BAD_INPUT',
        `Device '${name}' is a ${row.kind} device, which this build cannot drive yet.`,
      )
    }
    const device = new LocalDevice({ name })
    this.live.set(name, device)
    return device
  }

  async closeAll(): Promise<void> {
    const devices = [...this.live.values()]
    this.live.clear()
    await Promise.allSettled(devices.map((d) => d.close()))
  }
}
