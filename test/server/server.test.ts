/**
 * Browser mode as a browser (or a hostile local page) meets it: a real Studio on a temp database,
 * the real server on a free port, HTTP and WebSocket clients.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { ApiEventMessage, ApiResult, ModelInfo } from '../../common/api.js'
import type { RunRecord } from '../../common/types.js'
import { startServer, type RunningServer } from '../../main/server/server.js'
import { Studio } from '../../main/studio.js'
import { value } from '../api/result.js'

const root = resolve(import.meta.dirname, '../..')
const TINY = join(root, 'test/fixtures/local/tiny-cnn.onnx')
const QUICK = { minRuns: 20, minMs: 50, warmupRuns: 2, warmupMs: 10, maxMs: 20_000 }

let dir: string
let studio: Studio
let server: RunningServer
let zooNames: string[]

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function http(method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((done, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

async function api<T>(channel: string, payload?: unknown, token = server.token): Promise<ApiResult<T>> {
  const r = await http('POST', `/api/${channel}`, {
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
  })
  return JSON.parse(r.body) as ApiResult<T>
}

/** Resolves with the HTTP status the upgrade was refused with, or 101 when it was accepted. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((done) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => {
      ws.close()
      done(101)
    })
    ws.on('unexpected-response', (_req, res) => {
      done(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('error', () => done(-1))
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-server-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  zooNames = (await studio.ensureZoo()).map((m) => m.name)
  server = await startServer({ studio, port: 0, rendererDir: join(dir, 'no-renderer-here') })
})

afterAll(async () => {
  await server?.close()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('browser mode: access', () => {
  it('binds 127.0.0.1 only', async () => {
    expect(server.address.address).toBe('127.0.0.1')
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)
    if (external) {
      const refused = await new Promise<boolean>((done) => {
        const s = connect(server.port, external.address)
        s.on('connect', () => {
          s.destroy()
          done(false)
        })
        s.on('error', () => done(true))
      })
      expect(refused).toBe(true)
    }
  })

  it('answers 401 without the token on /, on /api/* and on the WebSocket upgrade, with no data', async () => {
    await api('app:info') // something to leak, were the check missing
    const page = await http('GET', '/')
    expect(page.status).toBe(401)
    expect(page.body).not.toContain('<html')
    const wrong = await http('GET', '/?token=wrong-token')
    expect(wrong.status).toBe(401)
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer nope' }, { Cookie: `edgebench_token_${server.port}=nope` }]
    for (const headers of attempts) {
      const r = await http('POST', '/api/models:list', { headers: { 'Content-Type': 'application/json', ...headers } })
      expect(r.status).toBe(401)
      const body = JSON.parse(r.body) as ApiResult<unknown>
      expect(body.ok).toBe(false)
      expect(r.body).not.toContain('tiny-cnn')
      for (const name of zooNames) expect(r.body).not.toContain(name)
    }
    // The token in the query string opens pages, never the API.
    const viaQuery = await http('POST', `/api/models:list?token=${server.token}`, { headers: { 'Content-Type': 'application/json' } })
    expect(viaQuery.status).toBe(401)
    const ws = `ws://127.0.0.1:${server.port}/ws`
    expect(await upgradeStatus(ws)).toBe(401)
    expect(await upgradeStatus(`${ws}?token=wrong`)).toBe(401)
    expect(await upgradeStatus(ws, { Authorization: `Bearer ${server.token}` })).toBe(101)
  })

  it('refuses a foreign Origin or Host even with the token', async () => {
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }
    const evil = await http('POST', '/api/models:list', { headers: { ...headers, Origin: 'https://evil.example' } })
    expect(evil.status).toBe(403)
    const rebound = await http('POST', '/api/models:list', { headers: { ...headers, Host: `evil.example:${server.port}` } })
    expect(rebound.status).toBe(403)
    const ws = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`
    expect(await upgradeStatus(ws, { Origin: 'https://evil.example' })).toBe(403)
  })

  it('swaps ?token= for an HttpOnly SameSite=Strict cookie, then serves pages with the CSP', async () => {
    const first = await http('GET', `/?token=${server.token}`)
    expect(first.status).toBe(303)
    expect(first.headers.location).toBe('/')
    const cookie = String(first.headers['set-cookie'])
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    const page = await http('GET', '/', { headers: { Cookie: cookie.split(';')[0] ?? '' } })
    expect(page.status).toBe(200)
    expect(page.headers['content-security-policy']).toContain("default-src 'self'; script-src 'self'")
    expect(page.headers['content-security-policy']).toContain('connect-src \'self\' ws://127.0.0.1:*')
    // No renderer built in this test: the page says how to build it.
    expect(page.body).toContain('npm run build')
  })
})

describe('browser mode: static files', () => {
  let other: RunningServer
  beforeAll(async () => {
    const renderer = join(dir, 'renderer')
    mkdirSync(join(renderer, 'assets'), { recursive: true })
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>studio</title><script type="module" src="/assets/app.js"></script>')
    writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(renderer, 'assets', 'app.css'), 'body{}')
    writeFileSync(join(dir, 'secret.txt'), 'do not serve')
    other = await startServer({ studio, rendererDir: renderer, token: 'fixed-test-token' })
  })
  afterAll(async () => other?.close())

  function get(path: string): Promise<Reply> {
    return new Promise((done, reject) => {
      const req = request({ host: '127.0.0.1', port: other.port, path, headers: { Authorization: 'Bearer fixed-test-token' } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      })
      req.on('error', reject)
      req.end()
    })
  }

  it('serves the built renderer with the right content types', async () => {
    const index = await get('/')
    expect(index.status).toBe(200)
    expect(index.headers['content-type']).toMatch(/^text\/html/)
    expect(index.body).toContain('<title>studio</title>')
    expect((await get('/assets/app.js')).headers['content-type']).toMatch(/^text\/javascript/)
    expect((await get('/assets/app.css')).headers['content-type']).toMatch(/^text\/css/)
    expect((await get('/assets/missing.js')).status).toBe(404)
    // A client-side route reloads into the app.
    expect((await get('/explore')).body).toContain('<title>studio</title>')
  })

  it('never serves a file outside the renderer folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00']) {
      const r = await get(path)
      expect(r.body).not.toContain('do not serve')
    }
  })
})

describe('browser mode: the API', () => {
  it("'models:list' lists the zoo models and an imported one", async () => {
    const imported = value(await api<ModelInfo>('models:import', { path: TINY }))
    expect(imported.name).toBe('tiny-cnn')
    const names = value(await api<ModelInfo[]>('models:list')).map((m) => m.name)
    for (const name of zooNames) expect(names).toContain(name)
    expect(names).toContain('tiny-cnn')
  })

  it('a bad payload answers ok:false BAD_INPUT; an unknown channel 404', async () => {
    const bad = await api('runs:get', { runId: 'seven' })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error.code).toBe('BAD_INPUT')
    const extra = await api('models:inspect', { modelId: 1, evil: true })
    expect(extra.ok ? 'ok' : extra.error.code).toBe('BAD_INPUT')
    const r = await http('POST', '/api/no:such', { headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` } })
    expect(r.status).toBe(404)
    const notJson = await http('POST', '/api/models:list', {
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
      body: '{not json',
    })
    expect((JSON.parse(notJson.body) as ApiResult<unknown>).ok).toBe(false)
  })

  it('a run started over the API streams progress over the WebSocket and ends finished', async () => {
    const model = value(await api<ModelInfo[]>('models:list')).find((m) => m.name === 'tiny-cnn')
    expect(model).toBeDefined()
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { Authorization: `Bearer ${server.token}` } })
    await new Promise((r) => ws.once('open', r))
    const events: ApiEventMessage[] = []
    const finished = new Promise<RunRecord>((done) => {
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as ApiEventMessage
        events.push(msg)
        if (msg.event === 'run:finished') done(msg.payload.run)
      })
    })
    const { runId } = value(
      await api<{ runId: number }>('runs:start', { kind: 'bench', modelId: model?.id, deviceName: 'local', latency: QUICK }),
    )
    const run = await finished
    ws.close()
    expect(run.id).toBe(runId)
    expect(run.status).toBe('finished')
    const progress = events.filter((e) => e.event === 'run:progress')
    expect(progress.length).toBeGreaterThan(0)
    expect(events.some((e) => e.event === 'run:status' && e.payload.status === 'running')).toBe(true)
    expect(events.some((e) => e.event === 'device:status' && e.payload.status.state === 'busy')).toBe(true)
    const samples = value(await api<number[]>('runs:samples', { runId }))
    expect(samples.length).toBeGreaterThanOrEqual(20)
    const points = value(await api<{ benchRunId: number | null; latencyP50Us: number | null }[]>('explore:points'))
    expect(points.some((p) => p.benchRunId === runId && (p.latencyP50Us ?? 0) > 0)).toBe(true)
  })

  it('the WebSocket only pushes events: whatever a client sends there is ignored, the server keeps serving', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`)
    await new Promise((r) => ws.once('open', r))
    const replies: string[] = []
    ws.on('message', (data) => replies.push(String(data)))
    for (const frame of ['{"id":7,"channel":"app:info"}', '{"id":4,"channel":{"toString":1}}', '{"id":1e400}', 'not json']) ws.send(frame)
    await new Promise((r) => setTimeout(r, 200))
    ws.close()
    expect(replies.filter((r) => r.includes('"result"'))).toEqual([])
    expect(value(await api<{ name: string }>('app:info')).name).toBe('EdgeBench Studio')
  })
})
