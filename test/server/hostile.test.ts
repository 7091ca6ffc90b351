/**
 * Browser mode meets hostile clients (issue 14): a corpus of broken requests, hostile payloads and
 * WebSocket frames (tools/fuzz/hostile-http.ts), then a normal request still works. Plus the
 * specifics: no redirect off this origin, 400 for bad percent-encoding, uploads streamed to disk.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiResult, ModelInfo } from '../../common/api.js'
import { makeRng } from '../../common/stats.js'
import { startServer, type RunningServer } from '../../main/server/server.js'
import { Studio } from '../../main/studio.js'
import { hostileHttp } from '../../tools/fuzz/hostile-http.js'

const root = resolve(import.meta.dirname, '../..')
const TINY = join(root, 'test/fixtures/local/tiny-cnn.onnx')
let dir: string
let studio: Studio
let server: RunningServer

function raw(bytes: Buffer | string, ms = 3000): Promise<string> {
  return new Promise((done) => {
    const s = connect(server.port, '127.0.0.1')
    let got = ''
    const end = (): void => {
      clearTimeout(timer)
      s.destroy()
      done(got)
    }
    const timer = setTimeout(end, ms)
    s.on('data', (d: Buffer) => (got += d.toString('latin1')))
    s.on('close', end)
    s.on('error', end)
    s.write(bytes)
  })
}

async function post<T>(channel: string, body: string | Uint8Array, contentType = 'application/json', headers: Record<string, string> = {}): Promise<{ status: number; result: ApiResult<T> }> {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${server.token}`, ...headers },
    body,
  })
  return { status: res.status, result: (await res.json()) as ApiResult<T> }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-hostile-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  server = await startServer({ studio, port: 0, rendererDir: join(dir, 'none') })
})
afterAll(async () => {
  await server?.close()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('browser mode under hostile input', () => {
  it('survives the hostile corpus and still answers a normal request', async () => {
    const fifo = join(dir, 'pipe.onnx')
    execFileSync('mkfifo', [fifo])
    const cases = hostileHttp({ port: server.port, token: server.token, modelId: 999, fifo }, makeRng(7), 60)
    for (let i = 0; i < cases.length; i += 16) {
      await Promise.all(
        cases.slice(i, i + 16).map(async (c) => {
          if (!c.ws) return raw(Buffer.concat(c.pieces))
          const upgrade = `GET /ws?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`
          return raw(Buffer.concat([Buffer.from(upgrade), ...c.pieces]), 1000)
        }),
      )
    }
    const info = await post<{ name: string }>('app:info', 'null')
    expect(info.result.ok && info.result.value.name).toBe('EdgeBench Studio')
  }, 120_000)

  it('refuses devices and pipes as models at once; eight FIFO imports do not stall the server', async () => {
    const fifo = join(dir, 'pipe2.onnx')
    execFileSync('mkfifo', [fifo])
    const answers = await Promise.all(Array.from({ length: 8 }, () => post('models:import', JSON.stringify({ path: fifo }))))
    for (const a of answers) expect(a.result.ok ? '' : a.result.error.message).toMatch(/is a named pipe \(FIFO\), not a regular file/)
    const zero = await post('models:import', JSON.stringify({ path: '/dev/zero' }))
    expect(zero.result.ok ? '' : zero.result.error.message).toMatch(/\/dev\/zero is a device, not a regular file/)
    const page = await fetch(`http://127.0.0.1:${server.port}/`, { headers: { authorization: `Bearer ${server.token}` }, signal: AbortSignal.timeout(5000) })
    expect(page.status).toBe(200)
  })

  it('redirects the token swap only to a path on this origin', async () => {
    for (const path of ['/.//evil.com/', '///evil.com/x', '/\\evil.com/']) {
      const answer = await raw(`GET ${path}?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`)
      const location = /\r\nLocation: ([^\r]*)/i.exec(answer)?.[1] ?? ''
      expect(answer, path).toMatch(/^HTTP\/1\.1 303/)
      expect(location, path).toMatch(/^\/(?![/\\])/)
    }
  })

  it('answers 400 to malformed percent-encoding and to a URL that does not parse', async () => {
    const bad = await post('%E0%A4%A', '{}')
    expect(bad.status).toBe(400)
    expect(bad.result.ok ? '' : bad.result.error.code).toBe('BAD_INPUT')
    const unparsable = await raw(`GET //x:99999/ HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\nConnection: close\r\n\r\n`)
    expect(unparsable).toMatch(/^HTTP\/1\.1 400/)
  })

  it('streams an uploaded model to disk; junk is refused and leaves no file behind', async () => {
    const name = { 'x-edgebench-file-name': encodeURIComponent('my model.onnx') }
    const ok = await post<ModelInfo>('models:importBytes', readFileSync(TINY), 'application/octet-stream', name)
    expect(ok.result.ok, JSON.stringify(ok.result)).toBe(true)
    if (ok.result.ok) expect(ok.result.value.path).toMatch(/my_model\.onnx$/)
    const junk = await post('models:importBytes', Buffer.alloc(100_000, 1), 'application/octet-stream', name)
    expect(junk.result.ok ? '' : junk.result.error.code).toBe('MODEL_INVALID')
    const imported = join(dir, 'imported')
    expect(readdirSync(imported).filter((f) => f.includes('upload'))).toEqual([])
    const nameless = await post('models:importBytes', readFileSync(TINY), 'application/octet-stream')
    expect(nameless.result.ok ? '' : nameless.result.error.code).toBe('BAD_INPUT')
  })

  it("an upload carries the import dialog's preprocessing in its extras header; a bad header is refused", async () => {
    const name = { 'x-edgebench-file-name': encodeURIComponent('with-extras.onnx') }
    const extras = (v: unknown): Record<string, string> => ({ ...name, 'x-edgebench-import': encodeURIComponent(JSON.stringify(v)) })
    const ok = await post<ModelInfo>('models:importBytes', readFileSync(TINY), 'application/octet-stream', extras({ preprocessing: { preset: 'symmetric' } }))
    expect(ok.result.ok, JSON.stringify(ok.result)).toBe(true)
    if (ok.result.ok) expect(ok.result.value.preprocessing?.source).toBe('user')
    const unknown = await post('models:importBytes', readFileSync(TINY), 'application/octet-stream', extras({ colour: 'red' }))
    expect(unknown.result.ok ? '' : unknown.result.error.code).toBe('BAD_INPUT')
    const notJson = await post('models:importBytes', readFileSync(TINY), 'application/octet-stream', { ...name, 'x-edgebench-import': '%7Bnope' })
    expect(notJson.result.ok ? '' : notJson.result.error.code).toBe('BAD_INPUT')
  })
})
