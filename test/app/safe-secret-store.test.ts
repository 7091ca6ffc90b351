/**
 * The desktop SecretStore's contract with safeStorage. Electron cannot run under plain Node, so a
 * stand-in with the same three methods encrypts with AES-GCM; what is checked is what the store
 * does with it: only ciphertext on disk, nothing on disk when encryption is unavailable.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SafeSecretStore } from '../../main/app/safe-secret-store.js'
import { silentLogger } from '../../main/log.js'

function aesSafeStorage(available: boolean): ConstructorParameters<typeof SafeSecretStore>[0] {
  const key = randomBytes(32)
  return {
    isEncryptionAvailable: () => available,
    encryptString: (s: string) => {
      const iv = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([c.update(s, 'utf8'), c.final()])
      return Buffer.concat([iv, c.getAuthTag(), body])
    },
    decryptString: (b: Buffer) => {
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12))
      d.setAuthTag(b.subarray(12, 28))
      return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8')
    },
  }
}

describe('SafeSecretStore', () => {
  it('writes only ciphertext, reads it back in a new instance, deletes it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'edgebench-secrets-')), 'secrets')
    const safe = aesSafeStorage(true)
    const store = new SafeSecretStore(safe, dir, silentLogger)
    expect(store.persistent).toBe(true)
    await store.set('device/pi/password', 'hunter2-very-secret')
    const files = readdirSync(dir)
    expect(files).toHaveLength(1)
    expect(files[0]).not.toContain('pi')
    expect(readFileSync(join(dir, files[0] as string)).includes(Buffer.from('hunter2'))).toBe(false)
    expect(await new SafeSecretStore(safe, dir, silentLogger).get('device/pi/password')).toBe(
      'hunter2-very-secret',
    )
    await store.delete('device/pi/password')
    expect(await store.get('device/pi/password')).toBeNull()
    expect(readdirSync(dir)).toHaveLength(0)
  })

  it('without encryption keeps secrets in memory only and writes nothing', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'edgebench-secrets-')), 'secrets')
    const store = new SafeSecretStore(aesSafeStorage(false), dir, silentLogger)
    expect(store.persistent).toBe(false)
    await store.set('device/pi/password', 'pw')
    expect(await store.get('device/pi/password')).toBe('pw')
    expect(existsSync(dir)).toBe(false)
  })
})
