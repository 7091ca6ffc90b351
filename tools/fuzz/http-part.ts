/**
 * The browser-mode part of the campaign: `edgebench serve` in its own process (as a user runs
 * it), a finished run stored through its API first, then the hostile corpus in small batches with
 * a normal request after each. A server that exits crashed; one that stops answering hangs; the
 * run stored before must be intact at the end, and no run may be left active.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { CaseResult } from './outcome.js'
import { peakRss } from './outcome.js'
import { hostileHttp, type HttpCase, type HttpContext } from './hostile-http.js'

const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'edgebench.mjs')
const QUICK = { warmupRuns: 2, warmupMs: 10, minRuns: 20, minMs: 50, maxMs: 20_000 }

interface Served {
  child: ChildProcess
  port: number
  token: string
}

function serve(db: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, '--db', db, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`edgebench serve printed no URL: ${out}`)), 120_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ child, port: Number(m[1]), token: m[2] as string })
      }
    })
    child.stderr?.resume()
    child.once('exit', (code) => reject(new Error(`edgebench serve exited (${code}): ${out}`)))
  })
}

/** One API call the normal way (fetch); rejects on a transport failure or after `ms`. */
async function call<T>(s: Served, channel: string, payload: unknown, ms = 15_000): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }> {
  const res = await fetch(`http://127.0.0.1:${s.port}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
    body: JSON.stringify(payload ?? null),
    signal: AbortSignal.timeout(ms),
  })
  return (await res.json()) as { ok: boolean; value?: T }
}

/** Sends one case over a raw socket; resolves with what came back (or '' when cut) within 3 s. */
function send(port: number, token: string, c: HttpCase): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    let got = ''
    const done = (): void => {
      clearTimeout(timer)
      s.destroy()
      resolve(got)
    }
    const timer = setTimeout(done, 3000)
    s.on('error', done)
    s.on('close', done)
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      if (c.ws && !got.includes('[frames sent]') && got.includes('\r\n\r\n') && got.startsWith('HTTP/1.1 101')) {
        for (const p of c.pieces) s.write(p)
        got += '\n[frames sent]'
        setTimeout(done, 500)
      }
    })
    s.on('connect', () => {
      if (c.ws) {
        s.write(`GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
      } else for (const p of c.pieces) s.write(p)
    })
  })
}

/** Judges one answer: a 500 is an internal failure; an envelope must be one line; a redirect stays here. */
function judge(c: HttpCase, answer: string): CaseResult {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)
  if (status === 500) return { what: c.what, verdict: 'crash', detail: answer.slice(0, 300) }
  if (c.checkRedirect) {
    const loc = /\r\nLocation: ([^\r]*)/i.exec(answer)?.[1]
    if (loc !== undefined && !/^\/(?![/\\])/.test(loc)) return { what: c.what, verdict: 'crash', detail: `redirects to ${loc}` }
  }
  if (c.expectEnvelope && status > 0) {
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4)
    try {
      const env = JSON.parse(body) as { ok: boolean; error?: { code: string; message: string } }
      if (!env.ok && (env.error?.message ?? '').includes('\n')) return { what: c.what, verdict: 'bad-refusal', detail: env.error?.message }
      return { what: c.what, verdict: env.ok ? 'accepted' : 'refused', ...(env.error ? { detail: `${env.error.code}: ${env.error.message.slice(0, 200)}` } : {}) }
    } catch {
      return { what: c.what, verdict: 'refused', detail: `HTTP ${status}` }
    }
  }
  return { what: c.what, verdict: status >= 400 || status === 0 ? 'refused' : 'accepted', detail: `HTTP ${status || '(connection closed)'}` }
}

async function alive(s: Served): Promise<boolean> {
  try {
    return (await call(s, 'app:info', null, 10_000)).ok
  } catch {
    return false
  }
}

export async function httpPart(dir: string, r: () => number, n: number, log: (line: string) => void): Promise<{ results: CaseResult[]; serverPeakRss: number }> {
  const db = join(dir, 'serve.db')
  const fifo = join(dir, 'pipe.onnx')
  execFileSync('mkfifo', [fifo])
  let s = await serve(db)
  const models = (await call<{ id: number; name: string }[]>(s, 'models:list', null)).value ?? []
  const modelId = models.find((m) => m.name === 'resnet8')?.id ?? models[0]?.id ?? 1
  const start = await call<{ runId: number }>(s, 'runs:start', { kind: 'bench', modelId, deviceName: 'local', latency: QUICK })
  const runId = start.value?.runId ?? 0
  const settled = async (): Promise<unknown[]> => {
    for (let i = 0; i < 240; i++) {
      const active = (await call<unknown[]>(s, 'runs:list', { status: ['queued', 'running'] })).value ?? []
      if (active.length === 0) return active
      await new Promise((res) => setTimeout(res, 500))
    }
    return (await call<unknown[]>(s, 'runs:list', { status: ['queued', 'running'] })).value ?? []
  }
  await settled()
  const before = JSON.stringify((await call(s, 'runs:samples', { runId })).value)
  const ctx: HttpContext = { port: s.port, token: s.token, modelId, fifo }
  const cases = hostileHttp(ctx, r, n)
  const results: CaseResult[] = []
  let peak = 0
  for (let i = 0; i < cases.length; i += 16) {
    const batch = cases.slice(i, i + 16)
    const answers = await Promise.all(batch.map((c) => send(s.port, s.token, c)))
    batch.forEach((c, k) => results.push(judge(c, answers[k] ?? '')))
    if (s.child.exitCode !== null || s.child.signalCode !== null || !(await alive(s))) {
      await new Promise((res) => setTimeout(res, 1000)) // an exiting process may need a moment to be seen
      const dead = s.child.exitCode !== null || s.child.signalCode !== null
      results.push({ what: `after: ${batch.map((c) => c.what).join(' | ')}`, verdict: dead ? 'crash' : 'hang', detail: dead ? `exit ${s.child.exitCode ?? s.child.signalCode}` : 'app:info did not answer in 10 s' })
      log(`  server ${dead ? 'exited' : 'hung'}; restarting`)
      s.child.kill('SIGKILL')
      s = await serve(db)
      ctx.port = s.port
      ctx.token = s.token
    }
    peak = Math.max(peak, peakRss((p) => readFileSync(p, 'utf8'), s.child.pid ?? 0))
  }
  const active = await settled()
  const after = JSON.stringify((await call(s, 'runs:samples', { runId })).value)
  const run = (await call<{ status: string }>(s, 'runs:get', { runId })).value
  if (before !== after || run?.status !== 'finished' || before === 'undefined') {
    results.push({ what: `run ${runId} stored before the corpus`, verdict: 'lost', detail: `status ${run?.status}, samples ${before === after ? 'same' : 'changed'}` })
  }
  if (active.length > 0) results.push({ what: 'runs left active', verdict: 'lost', detail: `${active.length} run(s) still queued or running` })
  peak = Math.max(peak, peakRss((p) => readFileSync(p, 'utf8'), s.child.pid ?? 0))
  s.child.kill('SIGINT')
  await new Promise((res) => (s.child.exitCode !== null ? res(null) : s.child.once('exit', res)))
  return { results, serverPeakRss: peak }
}
