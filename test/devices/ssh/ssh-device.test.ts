/**
 * The ssh device against a real OpenSSH server on 127.0.0.1: host-key trust, authentication,
 * probe, content-addressed deploy, benchmark and on-board evaluation through the agent.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StudioError } from '../../../common/errors.js'
import { DEFAULT_SESSION_OPTIONS } from '../../../common/types.js'
import { LocalDevice } from '../../../devices/local/local-device.js'
import { SshDevice } from '../../../devices/ssh/ssh-device.js'
import { argmaxRows, batchesOf, fashionImages } from '../local/helpers.js'
import { sshdAvailable, startSshd, type SshdServer } from './sshd-server.js'

const MODEL = resolve(import.meta.dirname, '../../../resources/models/resnet8.onnx')
const quick = { warmupRuns: 2, warmupMs: 20, minRuns: 40, minMs: 100, maxMs: 20_000, profile: false }
const hasSshd = sshdAvailable()

let server: SshdServer
const devices: SshDevice[] = []

function device(opts: { key?: string; trust?: boolean; knownHosts?: string } = {}): SshDevice {
  const d = new SshDevice({
    name: 'board',
    config: {
      host: '127.0.0.1',
      port: server.port,
      user: server.user,
      auth: 'key',
      keyPath: opts.key ?? server.clientKey,
      remoteDir: join(server.dir, 'board'),
    },
    knownHostsPath: opts.knownHosts ?? join(server.dir, 'kh-trusted'),
    ...(opts.trust ? { trustNewHostKey: true } : {}),
  })
  devices.push(d)
  return d
}

async function failure(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError)
    return e as StudioError
  }
  throw new Error('expected a failure')
}

function fingerprint(pubKeyLine: string): string {
  const f = join(server.dir, 'fp.pub')
  writeFileSync(f, `${pubKeyLine}\n`)
  return execFileSync('ssh-keygen', ['-lf', f], { encoding: 'utf8' }).split(/\s+/)[1] as string
}

describe.skipIf(!hasSshd)('ssh device (real sshd)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startSshd()
    // Most tests work with a board trusted earlier; the trust flow has its own file.
    writeFileSync(join(server.dir, 'kh-trusted'), `[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`)
  })
  afterAll(async () => {
    await Promise.allSettled(devices.map((d) => d.close()))
    await server?.stop()
  })

  it('refuses an unknown host key, naming its SHA256 fingerprint, and records nothing', async () => {
    const kh = join(server.dir, 'kh-unknown')
    const e = await failure(device({ knownHosts: kh }).probe())
    expect(e.code).toBe('HOST_KEY_UNKNOWN')
    expect(e.message).toContain(fingerprint(server.hostPublicKey))
    expect(e.message).toMatch(/--trust-new-host-key/)
    expect(existsSync(kh)).toBe(false)
  })

  it('refuses a changed host key with HOST_KEY_MISMATCH naming both fingerprints', async () => {
    const kh = join(server.dir, 'kh-changed')
    writeFileSync(kh, `[127.0.0.1]:${server.port} ${server.otherHostPublicKey}\n`)
    const e = await failure(device({ knownHosts: kh, trust: true }).probe())
    expect(e.code).toBe('HOST_KEY_MISMATCH')
    expect(e.message).toContain(fingerprint(server.hostPublicKey))
    expect(e.message).toContain(fingerprint(server.otherHostPublicKey))
    // trust-new never overrides a changed key
    expect(readFileSync(kh, 'utf8').trim().split('\n')).toHaveLength(1)
  })

  it('trusts a new key only when asked, in OpenSSH format, then connects without asking', async () => {
    const kh = join(server.dir, 'known_hosts')
    await device({ knownHosts: kh, trust: true }).probe()
    expect(readFileSync(kh, 'utf8')).toBe(`[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`)
    // ssh-keygen reads the file as its own
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${server.port}`, '-f', kh], {
      encoding: 'utf8',
    })
    expect(found).toContain(server.hostPublicKey)
    const info = await device({ knownHosts: kh }).probe()
    expect(info.kind).toBe('ssh')
  })

  it('refuses a key the board does not accept with AUTH_FAILED', async () => {
    const e = await failure(device({ key: server.wrongKey }).probe())
    expect(e.code).toBe('AUTH_FAILED')
    expect(e.message).toContain(server.wrongKey)
  })

  it('probes the board: architecture, OS, CPU, cores, RAM, Node.js', async () => {
    const info = await device().probe()
    expect(info.arch).toBe(process.arch)
    expect(info.cores).toBeGreaterThan(0)
    expect(info.ramBytes).toBeGreaterThan(1024 ** 2)
    expect(info.cpuModel).not.toBe('')
    expect(info.os).toMatch(/Linux/)
    expect(info.nodeVersion).toBe(process.versions.node)
    expect(info.runtime).toBe('onnxruntime-node')
  })

  it('deploys content-addressed, skips an unchanged second deploy, benchmarks on the board', async () => {
    const d = device()
    const dep = await d.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
    const remote = join(server.dir, 'board', 'models', `${dep.sha256}.onnx`)
    expect(readFileSync(remote).equals(readFileSync(MODEL))).toBe(true)
    const before = statSync(remote)
    const again = await d.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
    const after = statSync(remote)
    expect(after.ino).toBe(before.ino)
    expect(after.mtimeMs).toBe(before.mtimeMs)
    expect(again.inputs).toEqual(dep.inputs)

    // The runtime (agent + onnxruntime-node for the board) went up once, named by its hash; a new
    // connection finds it verified and does not send it again.
    const runtimeDir = join(server.dir, 'board', 'runtime')
    const [bundle] = readdirSync(runtimeDir).filter((n) => /^[0-9a-f]{64}$/.test(n))
    const lib = join(
      runtimeDir,
      bundle as string,
      'node_modules/onnxruntime-node/bin/napi-v6/linux',
      process.arch,
      'libonnxruntime.so.1',
    )
    const libBefore = statSync(lib)
    await device().prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
    expect(statSync(lib).mtimeMs).toBe(libBefore.mtimeMs)
    expect(readdirSync(runtimeDir).filter((n) => n.includes('.tmp-'))).toEqual([])

    const chunks: number[][] = []
    const r = await d.benchmark(again, quick, { onSamples: (c) => chunks.push(c) })
    expect(r.samplesUs.length).toBeGreaterThanOrEqual(quick.minRuns)
    expect(chunks.flat()).toEqual(r.samplesUs)
    expect(r.samplesUs.every((s) => s > 0)).toBe(true)
    expect(r.firstInferenceUs).toBeGreaterThan(0)
    expect(r.memory.peakRssBytes).toBeGreaterThan(0)
  })

  it('a model file that no longer matches the hash the store recorded is refused', async () => {
    const e = await failure(
      device().prepare({ name: 'resnet8', path: MODEL, sha256: 'ab'.repeat(32) }, DEFAULT_SESSION_OPTIONS),
    )
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/changed/)
  })

  it('cancel during an upload stops it; nothing half-written is ever used; the next deploy works', async () => {
    const d = device()
    await d.deploy({ name: 'resnet8', path: MODEL })
    const big = join(server.dir, 'big.onnx')
    const bytes = randomBytes(40 * 1024 * 1024)
    writeFileSync(big, bytes)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    const remote = join(server.dir, 'board', 'models', `${sha256}.onnx`)
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 30)
    const e = await failure(d.deploy({ name: 'big', path: big, sha256 }, ac.signal))
    expect(e.code).toBe('CANCELLED')
    expect(existsSync(remote)).toBe(false)
    const r = await d.deploy({ name: 'big', path: big, sha256 })
    expect(r.uploaded).toBe(true)
    expect(readFileSync(remote).equals(bytes)).toBe(true)
  })

  it('a damaged model on the board is replaced, not trusted', async () => {
    const d = device()
    const dep = await d.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
    const remote = join(server.dir, 'board', 'models', `${dep.sha256}.onnx`)
    const bytes = readFileSync(remote)
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff
    writeFileSync(remote, bytes)
    await d.close()
    await device().prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
    expect(readFileSync(remote).equals(readFileSync(MODEL))).toBe(true)
  })

  it('evaluates on the board with the same predictions as ONNX Runtime on this computer', async () => {
    const n = 300
    const images = fashionImages(n)
    const d = device()
    const dep = await d.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
    const progress: number[] = []
    const pred = await d.evaluate(dep, batchesOf(images, 64), n, { onProgress: (p) => progress.push(p.done) })
    const local = new LocalDevice()
    try {
      const ldep = await local.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
      const ref = await local.evaluate(ldep, batchesOf(images, 64), n)
      expect(pred.classes).toBe(ref.classes)
      expect(argmaxRows(pred.scores, pred.classes)).toEqual(argmaxRows(ref.scores, ref.classes))
      for (let i = 0; i < ref.scores.length; i++)
        expect(pred.scores[i]).toBeCloseTo(ref.scores[i] as number, 4)
    } finally {
      await local.close()
    }
    expect(progress.at(-1)).toBe(n)
    // The inputs went up once, content-addressed.
    const again = await d.evaluate(dep, batchesOf(images, 64), n)
    expect(argmaxRows(again.scores, again.classes)).toEqual(argmaxRows(pred.scores, pred.classes))
  })
})
