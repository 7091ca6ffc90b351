/**
 * A board without a usable Node.js, played by a real sshd whose sessions get a PATH without the
 * real node: probe still reads the board and names the problem; prepare refuses with what to install.
 */
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StudioError } from '../../../common/errors.js'
import { DEFAULT_SESSION_OPTIONS } from '../../../common/types.js'
import { SshDevice } from '../../../devices/ssh/ssh-device.js'
import { sshdAvailable, startSshd, type SshdServer } from './sshd-server.js'

const MODEL = resolve(import.meta.dirname, '../../../resources/models/resnet8.onnx')
const hasSshd = sshdAvailable()
const bin = join(mkdtempSync(join(tmpdir(), 'edgebench-board-path-')), 'bin')
let server: SshdServer

function device(): SshDevice {
  return new SshDevice({
    name: 'oldboard',
    config: {
      host: '127.0.0.1',
      port: server.port,
      user: server.user,
      auth: 'key',
      keyPath: server.clientKey,
      remoteDir: join(server.dir, 'board'),
    },
    knownHostsPath: join(server.dir, 'known_hosts'),
    trustNewHostKey: true,
  })
}

async function prepareError(d: SshDevice): Promise<StudioError> {
  try {
    await d.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
  } catch (e) {
    return e as StudioError
  } finally {
    await d.close()
  }
  throw new Error('prepare should have failed')
}

describe.skipIf(!hasSshd)('board requirements (real sshd)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    mkdirSync(bin)
    for (const tool of ['sh', 'uname', 'cat', 'nproc', 'getconf', 'hostname', 'head', 'kill']) {
      symlinkSync(`/usr/bin/${tool}`, join(bin, tool))
    }
    server = await startSshd({ sessionPath: bin })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('no Node.js: probe reads the board and says what to install; prepare refuses', async () => {
    const d = device()
    const info = await d.probe()
    expect(info.cores).toBeGreaterThan(0)
    expect(info.nodeVersion).toBeUndefined()
    expect(String(info.extra?.nodeProblem)).toMatch(/Node\.js was not found on oldboard/)
    const e = await prepareError(d)
    expect(e.code).toBe('DEVICE_ERROR')
    expect(e.message).toMatch(/Install Node\.js 18 or newer.*sudo apt install nodejs/)
  })

  it('Node.js 16: refused with the version found and the same instructions', async () => {
    const fake = join(bin, 'node')
    writeFileSync(fake, '#!/usr/bin/sh\necho "16.20.2 linux x64"\n')
    chmodSync(fake, 0o755)
    const e = await prepareError(device())
    expect(e.code).toBe('DEVICE_ERROR')
    expect(e.message).toMatch(/has Node\.js 16\.20\.2, too old for the agent\. Install Node\.js 18 or newer/)
  })
})
