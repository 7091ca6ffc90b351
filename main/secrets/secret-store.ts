/**
 * Where device secrets (SSH passwords, key passphrases) live: never in the database, never in a
 * log. The desktop app stores them encrypted with Electron's safeStorage (main/app); browser mode
 * and the CLI keep them in memory for the session only.
 */

export interface SecretStore {
  /** True when secrets survive a restart (the desktop app's encrypted store). */
  readonly persistent: boolean
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<void>
  delete(key: string): Promise<void>
}

export type SecretKind = 'password' | 'passphrase'

/** The key of a device's secret. */
export function secretKey(deviceName: string, kind: SecretKind): string {
  return `device/${deviceName}/${kind}`
}

/** Secrets for this process's lifetime only. */
export class MemorySecretStore implements SecretStore {
  readonly persistent = false
  private readonly values = new Map<string, string>()

  get(key: string): Promise<string | null> {
    return Promise.resolve(this.values.get(key) ?? null)
  }

  set(key: string, value: string): Promise<void> {
    this.values.set(key, value)
    return Promise.resolve()
  }

  delete(key: string): Promise<void> {
    this.values.delete(key)
    return Promise.resolve()
  }
}

/** Removes every secret of a device (when the device is removed). */
export async function deleteDeviceSecrets(store: SecretStore, deviceName: string): Promise<void> {
  await store.delete(secretKey(deviceName, 'password'))
  await store.delete(secretKey(deviceName, 'passphrase'))
}
