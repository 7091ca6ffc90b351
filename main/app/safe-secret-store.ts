/**
 * The desktop app's SecretStore: each secret encrypted with Electron's safeStorage (the OS
 * keychain / DPAPI / libsecret key) and written as one blob file under the user data folder.
 * Where safeStorage cannot encrypt (e.g. Linux without a keyring), nothing is written in plain
 * text: secrets are kept for the session only and `persistent` says so.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SafeStorage } from 'electron'
import type { Logger } from '../log.js'
import { MemorySecretStore, type SecretStore } from '../secrets/secret-store.js'

export class SafeSecretStore implements SecretStore {
  private readonly memory = new MemorySecretStore()

  constructor(
    private readonly safe: Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>,
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  get persistent(): boolean {
    return this.safe.isEncryptionAvailable()
  }

  /** File names are hashes, so even the device names stay out of the folder listing. */
  private file(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex')}.bin`)
  }

  async get(key: string): Promise<string | null> {
    const mem = await this.memory.get(key)
    if (mem !== null || !this.persistent) return mem
    let blob: Buffer
    try {
      blob = readFileSync(this.file(key))
    } catch {
      return null
    }
    try {
      return this.safe.decryptString(blob)
    } catch (e) {
      // Encrypted under another OS user or keyring: ask again rather than fail the run.
      this.logger.warn(
        `a stored device secret cannot be decrypted (${e instanceof Error ? e.message : 'unknown'}); it will be asked for again`,
      )
      return null
    }
  }

  async set(key: string, value: string): Promise<void> {
    if (!this.persistent) {
      this.logger.warn(
        'safeStorage cannot encrypt on this system; the device secret is kept for this session only',
      )
      return this.memory.set(key, value)
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    writeFileSync(this.file(key), this.safe.encryptString(value), { mode: 0o600 })
  }

  async delete(key: string): Promise<void> {
    await this.memory.delete(key)
    rmSync(this.file(key), { force: true })
  }
}
