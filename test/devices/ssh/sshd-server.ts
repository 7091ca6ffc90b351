/**
 * A real OpenSSH server for tests and the ssh benchmark: generated host and client keys, a config
 * in a temp folder, `sshd -D -e` on 127.0.0.1 and a free port, as the current user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

export const SSHD = '/usr/sbin/sshd'

export interface SshdServer {
  dir: string
  port: number
  user: string
  /** The client key authorized on the server. */
  clientKey: string
  /** Another key the server does not accept. */
  wrongKey: string
  /** The server's host public key line (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string
  /** A host key the server does NOT have (to fake a changed key in known_hosts). */
  otherHostPublicKey: string
  process: ChildProcess
  /** Pids of the per-connection sshd processes (children of the listener). */
  sessionPids(): number[]
  stop(): Promise<void>
}

/** Whether sshd is installed; on CI its absence is an error, locally a loud skip. */
export function sshdAvailable(): boolean {
  if (existsSync(SSHD)) return true
  const msg = `${SSHD} is missing: install the Debian package openssh-server to run the SSH board tests.`
  if (process.env.CI === 'true') throw new Error(msg)
  console.warn(`\n*** SKIPPING SSH TESTS: ${msg} ***\n`)
  return false
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'edgebench-test', '-f', path])
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('data', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > end) throw new Error(`sshd did not accept connections on port ${port} within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export interface SshdOptions {
  /** PATH for sessions on this server; e.g. a folder without node, to play a board lacking it. */
  sessionPath?: string
}

export async function startSshd(opts: SshdOptions = {}): Promise<SshdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'edgebench-sshd-'))
  for (const k of ['host_key', 'other_host_key', 'client_key', 'wrong_key']) keygen(join(dir, k))
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')))
  const port = await freePort()
  const user = userInfo().username
  const config = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `PermitRootLogin ${user === 'root' ? 'prohibit-password' : 'no'}`,
    'Subsystem sftp internal-sftp',
    'MaxSessions 30',
    'MaxStartups 30',
    'LogLevel ERROR',
    ...(opts.sessionPath ? [`SetEnv PATH=${opts.sessionPath}`] : []),
  ].join('\n')
  writeFileSync(join(dir, 'sshd_config'), `${config}\n`)
  try {
    // sshd started as root wants its privilege-separation folder; as another user it does not.
    mkdirSync('/run/sshd', { recursive: true })
  } catch {
    // not root: fine
  }
  const proc = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  try {
    await waitForPort(port, 20_000)
  } catch (e) {
    proc.kill('SIGKILL')
    throw new Error(`${(e as Error).message}; sshd said: ${stderr}`)
  }
  const sessionPids = (): number[] => {
    try {
      return execFileSync('pgrep', ['-P', String(proc.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number)
    } catch {
      return []
    }
  }
  const pub = (k: string): string =>
    readFileSync(join(dir, `${k}.pub`), 'utf8')
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(' ')
  return {
    dir,
    port,
    user,
    clientKey: join(dir, 'client_key'),
    wrongKey: join(dir, 'wrong_key'),
    hostPublicKey: pub('host_key'),
    otherHostPublicKey: pub('other_host_key'),
    process: proc,
    sessionPids,
    async stop(): Promise<void> {
      for (const pid of sessionPids()) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone
        }
      }
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r))
        proc.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
