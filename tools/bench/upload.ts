/**
 * `npm run bench:upload` — what a browser-mode model upload costs the server: a ~255 MiB model
 * (one MatMul with 8192 × 8160 float weights, the size that peaked at 2.7 GB RSS when uploads
 * were base64 JSON) is POSTed as a stream to `edgebench serve` in its own process; the server's
 * peak RSS (VmHWM, reset just before) and the time to the answer are printed, with the baseline.
 * The answer includes the import's inspection (hash, params, MACs, gzip size), as in the UI.
 *
 * Options: --mib N (model size, default 255), --repeats N (default 3; medians printed).
 */
import { spawn } from 'node:child_process'
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { median } from '../../common/stats.js'
import { encodeModel } from '../../main/model/onnx-io.js'
import { onnx } from '../../main/model/proto.js'
import { float32ToInitializer } from '../../main/model/tensor.js'

const ROOT = join(import.meta.dirname, '..', '..')
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name)
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN
  return Number.isFinite(v) && v > 0 ? v : fallback
}
const MIB = arg('--mib', 255)
const REPEATS = arg('--repeats', 3)
const out = (line: string): void => void process.stdout.write(`${line}\n`)

/** A valid model of about `mib` MiB: x[1, 8192] · W[8192, n]. */
function bigModel(mib: number, seed: number): Uint8Array {
  const k = 8192
  const n = Math.max(1, Math.floor((mib * 1024 * 1024) / (4 * k)))
  const w = new Float32Array(k * n)
  for (let i = 0; i < w.length; i += 997) w[i] = (i % 13) / 13 + seed // distinct files: no dedupe between repeats
  return encodeModel(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'big',
        node: [{ name: 'mm', opType: 'MatMul', input: ['x', 'w'], output: ['y'] }],
        initializer: [float32ToInitializer('w', [k, n], w)],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: k }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    }),
  )
}

const vmHwm = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
const vmRss = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024

function upload(port: number, token: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent: false, // a fresh connection: a kept-alive one may be closed while the next file is written
        method: 'POST',
        path: '/api/models:importBytes',
        headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}`, 'x-edgebench-file-name': 'big.onnx', 'content-length': statSync(path).size },
      },
      (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    createReadStream(path).pipe(req)
  })
}

const dir = mkdtempSync(join(tmpdir(), 'edgebench-bench-upload-'))
const child = spawn(process.execPath, [join(ROOT, 'bin', 'edgebench.mjs'), '--db', join(dir, 'studio.db'), 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
try {
  const { port, token } = await new Promise<{ port: number; token: string }>((resolve) => {
    let text = ''
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString()
      const m = /127\.0\.0\.1:(\d+)\/\?token=([\w-]+)/.exec(text)
      if (m) resolve({ port: Number(m[1]), token: m[2] as string })
    })
  })
  const pid = child.pid as number
  out(`bench:upload — load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (figures are noisy on a shared machine)`)
  const times: number[] = []
  const peaks: number[] = []
  const bases: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    const path = join(dir, `big-${i}.onnx`)
    writeFileSync(path, bigModel(MIB, i))
    const bytes = statSync(path).size
    bases.push(vmRss(pid))
    writeFileSync(`/proc/${pid}/clear_refs`, '5') // VmHWM from here on is this upload's peak
    const t0 = performance.now()
    const r = await upload(port, token, path)
    times.push((performance.now() - t0) / 1000)
    peaks.push(vmHwm(pid))
    const ok = (JSON.parse(r.body) as { ok: boolean }).ok
    out(`  upload ${i + 1}: ${(bytes / 1024 ** 2).toFixed(1)} MiB, HTTP ${r.status} ok=${ok}, ${times.at(-1)?.toFixed(1)} s, server RSS before ${(bases.at(-1)! / 1024 ** 2).toFixed(0)} MiB, peak ${(peaks.at(-1)! / 1024 ** 2).toFixed(0)} MiB`)
    rmSync(path)
  }
  out(`median of ${REPEATS}: ${median(times).toFixed(1)} s to the answer; server peak RSS ${(median(peaks) / 1024 ** 2).toFixed(0)} MiB (${(median(peaks) / (MIB * 1024 ** 2)).toFixed(2)}× the file; baseline ${(median(bases) / 1024 ** 2).toFixed(0)} MiB)`)
} finally {
  child.kill('SIGINT')
  await new Promise((r) => child.once('exit', r))
  rmSync(dir, { recursive: true, force: true })
}
