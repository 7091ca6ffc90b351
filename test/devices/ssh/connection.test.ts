/**
 * Connection failures a user meets, each with its own code and advice: nothing listening, a port
 * that never speaks SSH (handshake timeout), and login through a real ssh-agent.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StudioError } from '../../../common/errors.js'
import { SshConnection } from '../../../devices/ssh/connection.js'
import { sshdAvailable, startSshd, type SshdServer } from './sshd-server.js'

const dir = mkdtempSync(join(tmpdir(), 'edgebench-conn-'))
const knownHostsPath = join(dir, 'known_hosts')

async function failure(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError)
    return e as StudioError
  }
  throw new Error('expected a failure')
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      resolve(typeof a === 'object' && a ? a.port : 0)
    }),
  )
}

describe('ssh connection failures', () => {
  it('nothing listening: DEVICE_UNREACHABLE asking whether sshd runs', async () => {
    const s = createServer()
    const port = await listen(s)
    await new Promise((r) => s.close(r))
    const e = await failure(
      SshConnection.connect(
        { host: '127.0.0.1', port, user: 'x', auth: 'agent' },
        { knownHostsPath, agentSocket: '/nonexistent' },
      ),
    )
    expect(e.code).toBe('DEVICE_UNREACHABLE')
    expect(e.message).toMatch(/is sshd running/)
  })

  it('a port that never answers the SSH handshake: TIMEOUT', async () => {
    const silent = createServer(() => undefined)
    const port = await listen(silent)
    try {
      const e = await failure(
        SshConnection.connect(
          { host: '127.0.0.1', port, user: 'x', auth: 'agent' },
          { knownHostsPath, agentSocket: '/nonexistent', readyTimeoutMs: 1500 },
        ),
      )
      expect(e.code).toBe('TIMEOUT')
      expect(e.message).toMatch(/did not complete the SSH handshake/)
    } finally {
      silent.close()
    }
  })

  it('agent auth without SSH_AUTH_SOCK says how to start one', async () => {
    const saved = process.env.SSH_AUTH_SOCK
    delete process.env.SSH_AUTH_SOCK
    try {
      const e = await failure(
        SshConnection.connect({ host: '127.0.0.1', port: 22, user: 'x', auth: 'agent' }, { knownHostsPath }),
      )
      expect(e.code).toBe('AUTH_FAILED')
      expect(e.message).toMatch(/ssh-add/)
    } finally {
      if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved
    }
  })
})

describe.skipIf(!sshdAvailable())('ssh-agent login (real sshd, real ssh-agent)', () => {
  let server: SshdServer
  let agentPid = 0
  const sock = join(dir, 'agent.sock')
  beforeAll(async () => {
    server = await startSshd()
    writeFileSync(knownHostsPath, `[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`)
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
    agentPid = agent.pid ?? 0
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' })
        break
      } catch (e) {
        // exit 1 = agent up with no keys; 2 = not reachable yet
        if ((e as { status?: number }).status === 1) break
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  })
  afterAll(async () => {
    if (agentPid) process.kill(agentPid)
    await server?.stop()
  })

  it('logs in with a key held by ssh-agent and runs a command', async () => {
    execFileSync('ssh-add', ['-q', server.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock } })
    const conn = await SshConnection.connect(
      { host: '127.0.0.1', port: server.port, user: server.user, auth: 'agent' },
      { knownHostsPath, agentSocket: sock },
    )
    try {
      const r = await conn.exec(['echo', "it's $HOME"])
      expect(r.stdout).toBe("it's $HOME\n")
      expect(r.code).toBe(0)
    } finally {
      conn.end()
    }
  })
})
