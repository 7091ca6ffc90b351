/**
 * Runs on an SSH board through the studio (orchestrator + store + the registered 'ssh' factory):
 * a dropped connection leaves the run `interrupted` with its samples, cancel leaves no agent
 * running on the board, and a second run on the same board waits for the first.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS, type BenchResult } from '../../../common/types.js'
import { Studio } from '../../../main/studio.js'
import { sshdAvailable, startSshd, type SshdServer } from './sshd-server.js'

const MODEL = resolve(import.meta.dirname, '../../../resources/models/resnet8.onnx')
const quick = { warmupRuns: 2, warmupMs: 20, minRuns: 30, minMs: 100, maxMs: 20_000, profile: false }
const long = { ...quick, minMs: 120_000, maxMs: 120_000 }
const hasSshd = sshdAvailable()

let server: SshdServer
let studio: Studio
let modelId: number

/** Agent processes on the "board" (this machine), found by the runtime path under the test's remoteDir. */
function agentPids(): number[] {
  try {
    return execFileSync('pgrep', ['-f', join(server.dir, 'board', 'runtime')], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function bench(latency = quick): {
  kind: 'bench'
  modelId: number
  deviceName: string
  session: typeof DEFAULT_SESSION_OPTIONS
  latency: typeof quick
} {
  return { kind: 'bench', modelId, deviceName: 'pi', session: DEFAULT_SESSION_OPTIONS, latency }
}

describe.skipIf(!hasSshd)('runs on an SSH board (real sshd)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startSshd()
    const dir = mkdtempSync(join(tmpdir(), 'edgebench-ssh-runs-'))
    studio = Studio.open({ dbPath: join(dir, 'studio.db') })
    // The user trusted this board's key earlier (e.g. `device add ssh --trust-new-host-key`).
    writeFileSync(join(studio.dataDir, 'known_hosts'), `[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`)
    studio.store.upsertDevice({
      name: 'pi',
      kind: 'ssh',
      config: {
        host: '127.0.0.1',
        port: server.port,
        user: server.user,
        auth: 'key',
        keyPath: server.clientKey,
        remoteDir: join(server.dir, 'board'),
      },
    })
    modelId = (await studio.importModel(MODEL)).id
  })
  afterAll(async () => {
    await studio?.close()
    await server?.stop()
  })

  it('a bench run on the board finishes with env describing the board', async () => {
    const run = await studio.runAndWait(bench())
    expect(run.status, run.error?.message).toBe('finished')
    const r = run.result as BenchResult
    expect(r.env.kind).toBe('ssh')
    expect(r.env.extra?.host).toBe('127.0.0.1')
    expect(studio.store.getSamples(run.id).length).toBe(r.latencyUs.count)
  })

  it('runs one run at a time on the board; the second waits in the queue', async () => {
    const a = studio.startRun(bench())
    const b = studio.startRun(bench())
    expect(studio.store.getRun(b)?.status).toBe('queued')
    const [ra, rb] = await Promise.all([studio.runs.wait(a), studio.runs.wait(b)])
    expect(ra.status).toBe('finished')
    expect(rb.status).toBe('finished')
    expect(Date.parse(rb.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(ra.finishedAt ?? ''))
  })

  it('cancel stops the run and leaves no agent running on the board', async () => {
    const id = studio.startRun(bench(long))
    await until(() => studio.store.getSamples(id).length > 0, 'first samples')
    expect(agentPids().length).toBeGreaterThan(0)
    studio.runs.cancel(id)
    const run = await studio.runs.wait(id)
    expect(run.status).toBe('cancelled')
    expect(studio.store.getSamples(id).length).toBeGreaterThan(0)
    await until(() => agentPids().length === 0, 'the agent to exit', 10_000)
  })

  it('a connection killed mid-run ends the run interrupted, keeping every sample received', async () => {
    const id = studio.startRun(bench(long))
    await until(() => studio.store.getSamples(id).length >= 100, 'samples')
    for (const pid of server.sessionPids()) process.kill(pid, 'SIGKILL')
    const run = await studio.runs.wait(id)
    expect(run.status).toBe('interrupted')
    expect(run.error?.code).toBe('DEVICE_UNREACHABLE')
    expect(studio.store.getSamples(id).length).toBeGreaterThanOrEqual(100)
    // The agent noticed its stdin close and exited by itself.
    await until(() => agentPids().length === 0, 'the orphaned agent to exit', 10_000)
    // The board is usable again: the next run reconnects.
    const next = await studio.runAndWait(bench())
    expect(next.status, next.error?.message).toBe('finished')
  })
})
