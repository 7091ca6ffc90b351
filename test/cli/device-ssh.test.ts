/**
 * `edgebench device add ssh` and `--device <board>` as a user runs them, against a real sshd:
 * refusal of an unknown host key, explicit trust, probe/bench/eval on the board, passphrases
 * read from stdin and never stored.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BenchResult, EvalResult } from '../../common/types.js'
import { sshdAvailable, startSshd, type SshdServer } from '../devices/ssh/sshd-server.js'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
const model = join(root, 'resources/models/resnet8.onnx')
const quick = ['--min-runs', '20', '--min-ms', '50', '--warmup-runs', '2', '--warmup-ms', '10']
const hasSshd = sshdAvailable()

let server: SshdServer
let dir: string
let db: string

function cli(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--db', db, ...args], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 180_000,
    ...(input !== undefined ? { input } : { stdio: ['ignore', 'pipe', 'pipe'] }),
  })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

const board = (name: string, key = server.clientKey): string[] => [
  'device',
  'add',
  'ssh',
  '--name',
  name,
  '--host',
  '127.0.0.1',
  '--port',
  String(server.port),
  '--user',
  server.user,
  '--key',
  key,
  '--remote-dir',
  join(server.dir, 'board'),
]

describe.skipIf(!hasSshd)('edgebench device add ssh (real sshd)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startSshd()
    dir = mkdtempSync(join(tmpdir(), 'edgebench-cli-ssh-'))
    db = join(dir, 'studio.db')
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('refuses an unknown host key: exit 2, the fingerprint, how to trust it; nothing stored', () => {
    const r = cli(board('pi'))
    expect(r.status).toBe(2)
    const fp = execFileSync('ssh-keygen', ['-lf', `${join(server.dir, 'host_key')}.pub`], {
      encoding: 'utf8',
    }).split(/\s+/)[1]
    expect(r.stderr).toContain('HOST_KEY_UNKNOWN')
    expect(r.stderr).toContain(fp)
    expect(r.stderr).toContain('--trust-new-host-key')
    const list = JSON.parse(cli(['device', 'list', '--json']).stdout) as { name: string }[]
    expect(list.map((d) => d.name)).toEqual(['local'])
  })

  it(
    'adds the board with --trust-new-host-key, then probe, bench, eval and sweep run on it',
    { timeout: 300_000 },
    () => {
      const add = cli([...board('pi'), '--trust-new-host-key', '--json'])
      expect(add.status, add.stderr).toBe(0)
      const row = JSON.parse(add.stdout) as {
        kind: string
        config: Record<string, unknown>
        info: { nodeVersion: string }
      }
      expect(row.kind).toBe('ssh')
      expect(row.config).toMatchObject({
        host: '127.0.0.1',
        port: server.port,
        user: server.user,
        auth: 'key',
      })
      expect(row.info.nodeVersion).toBe(process.versions.node)
      expect(readFileSync(join(dir, 'known_hosts'), 'utf8')).toContain(server.hostPublicKey)

      const probe = cli(['device', 'probe', 'pi', '--json'])
      expect(probe.status, probe.stderr).toBe(0)
      expect((JSON.parse(probe.stdout) as { info: { kind: string } }).info.kind).toBe('ssh')

      const bench = cli(['bench', model, '--device', 'pi', ...quick, '--json'])
      expect(bench.status, bench.stderr).toBe(0)
      const b = JSON.parse(bench.stdout) as BenchResult
      expect(b.env.kind).toBe('ssh')
      expect(b.env.name).toBe('pi')
      expect(b.latencyUs.count).toBeGreaterThanOrEqual(20)

      const evalArgs = ['eval', model, '--dataset', 'fashion-mnist', '--limit', '200', '--json']
      const onBoard = cli([...evalArgs, '--device', 'pi'])
      expect(onBoard.status, onBoard.stderr).toBe(0)
      const here = cli(evalArgs)
      expect(here.status, here.stderr).toBe(0)
      const e1 = JSON.parse(onBoard.stdout) as EvalResult
      const e2 = JSON.parse(here.stdout) as EvalResult
      expect(e1.count).toBe(200)
      expect(e1.top1).toBe(e2.top1)
      expect(e1.top5).toBe(e2.top5)

      const sweep = cli([
        'sweep',
        model,
        '--device',
        'pi',
        '--grid',
        'fp16',
        '--limit',
        '100',
        ...quick.slice(0, 4),
        '--json',
      ])
      expect(sweep.status, sweep.stderr).toBe(0)
      const rows = (
        JSON.parse(sweep.stdout) as {
          rows: { device: string; p50Us: number | null; top1: number | null; error: string | null }[]
        }
      ).rows
      expect(rows.length).toBeGreaterThanOrEqual(2)
      for (const row of rows) {
        expect(row.device).toBe('pi')
        expect(row.error).toBeNull()
        expect(row.p50Us).toBeGreaterThan(0)
        expect(row.top1).toBeGreaterThan(0.5)
      }

      const dup = cli([...board('pi'), '--trust-new-host-key'])
      expect(dup.status).toBe(2)
      expect(dup.stderr).toMatch(/already exists/)

      const rm = cli(['device', 'remove', 'pi', '--json'])
      expect(rm.status, rm.stderr).toBe(0)
    },
  )

  it(
    'a passphrase-protected key: passphrase from --password-stdin, never written to the database',
    { timeout: 120_000 },
    () => {
      const key = join(server.dir, 'locked_key')
      const secret = 'correct horse battery staple'
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', secret, '-f', key])
      appendFileSync(join(server.dir, 'authorized_keys'), readFileSync(`${key}.pub`))
      const noPass = cli(board('locked', key))
      expect(noPass.status).not.toBe(0)
      expect(noPass.stderr).toMatch(/passphrase/i)
      const wrong = cli([...board('locked', key), '--password-stdin'], 'not it\n')
      expect(wrong.status).toBe(1)
      expect(wrong.stderr).toContain('AUTH_FAILED')
      const ok = cli([...board('locked', key), '--password-stdin'], `${secret}\n`)
      expect(ok.status, ok.stderr).toBe(0)
      // A later command needs the passphrase again: asked the same way.
      const probe = cli(['device', 'probe', 'locked', '--json', '--password-stdin'], `${secret}\n`)
      expect(probe.status, probe.stderr).toBe(0)
      for (const f of ['studio.db', 'studio.db-wal']) {
        let bytes: Buffer
        try {
          bytes = readFileSync(join(dir, f))
        } catch {
          continue
        }
        expect(bytes.includes(Buffer.from(secret))).toBe(false)
      }
    },
  )

  it('a key the board refuses gives AUTH_FAILED (exit 1) and stores nothing', () => {
    const r = cli([...board('wrong', server.wrongKey)])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('AUTH_FAILED')
    expect(cli(['device', 'show', 'wrong']).status).toBe(2)
  })
})
