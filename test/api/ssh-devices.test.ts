/**
 * 'devices:addSsh' and 'devices:remove' on a real Studio against a real sshd: an unknown host key
 * comes back as "needs trust" with its fingerprint, only the confirmed key is trusted, secrets go
 * to the SecretStore (never the devices table).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AddSshDeviceRequest } from '../../common/api.js'
import { secretKey } from '../../main/secrets/secret-store.js'
import { createHandlers, type ApiHandlers } from '../../main/api/handlers.js'
import { Studio } from '../../main/studio.js'
import { sshdAvailable, startSshd, type SshdServer } from '../devices/ssh/sshd-server.js'
import { value } from './result.js'

const hasSshd = sshdAvailable()
let server: SshdServer
let studio: Studio
let api: ApiHandlers

function fingerprintOf(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(/\s+/)[1] as string
}

describe.skipIf(!hasSshd)('devices:addSsh / devices:remove (real sshd)', { timeout: 180_000 }, () => {
  let request: AddSshDeviceRequest
  beforeAll(async () => {
    server = await startSshd()
    studio = Studio.open({ dbPath: join(mkdtempSync(join(tmpdir(), 'edgebench-api-ssh-')), 'studio.db') })
    api = createHandlers(studio, { mode: 'browser' })
    request = {
      name: 'pi',
      host: '127.0.0.1',
      port: server.port,
      user: server.user,
      auth: 'key',
      keyPath: server.clientKey,
      remoteDir: join(server.dir, 'board'),
    }
  })
  afterAll(async () => {
    api?.dispose()
    await studio?.close()
    await server?.stop()
  })

  it('answers needs-trust with the SHA256 fingerprint; a different fingerprint is not trusted', async () => {
    const fp = fingerprintOf(join(server.dir, 'host_key.pub'))
    const first = value(await api.invoke('devices:addSsh', request))
    expect(first).toEqual({ kind: 'needs-trust', host: '127.0.0.1', port: server.port, fingerprint: fp })
    const other = fingerprintOf(join(server.dir, 'other_host_key.pub'))
    const again = value(await api.invoke('devices:addSsh', { ...request, trustFingerprint: other }))
    expect(again.kind).toBe('needs-trust')
    expect(value(await api.invoke('devices:list', undefined)).map((d) => d.name)).toEqual(['local'])
  })

  it('adds the board once the fingerprint is confirmed; remove forgets it and its secrets', async () => {
    const fp = fingerprintOf(join(server.dir, 'host_key.pub'))
    // A passphrase given for a key that needs none is still the user's secret: kept out of the db.
    const added = value(
      await api.invoke('devices:addSsh', { ...request, trustFingerprint: fp, passphrase: 's3cret-phrase' }),
    )
    if (added.kind !== 'added') throw new Error('expected added')
    expect(added.secrets).toBe('session')
    expect(added.device.kind).toBe('ssh')
    expect(added.device.config).not.toHaveProperty('passphrase')
    expect(readFileSync(studio.store.path).includes(Buffer.from('s3cret-phrase'))).toBe(false)
    expect(await studio.secrets.get(secretKey('pi', 'passphrase'))).toBe('s3cret-phrase')
    const list = value(await api.invoke('devices:list', undefined))
    expect(list.find((d) => d.name === 'pi')?.status.state).toBe('online')
    expect(value(await api.invoke('devices:probe', { name: 'pi' })).kind).toBe('ssh')

    expect(value(await api.invoke('devices:remove', { name: 'pi' }))).toEqual({ removed: 'pi' })
    expect(await studio.secrets.get(secretKey('pi', 'passphrase'))).toBeNull()
    expect(value(await api.invoke('devices:list', undefined)).map((d) => d.name)).toEqual(['local'])
    const local = await api.invoke('devices:remove', { name: 'local' })
    expect(local.ok ? 'ok' : local.error.code).toBe('BAD_INPUT')
  })

  it('rejects a malformed request at the boundary', async () => {
    const r = await api.call('devices:addSsh', { ...request, trustFingerprint: 'MD5:aa:bb', extra: 1 })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('BAD_INPUT')
  })
})
