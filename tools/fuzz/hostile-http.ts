/**
 * Hostile HTTP requests and WebSocket frames for browser mode, reproducible from a seed: garbage
 * bytes, broken request lines and headers, bad percent-encoding, open-redirect paths, smuggling,
 * oversized and deeply nested bodies, hostile payloads on every channel, paths to devices and
 * pipes, cut uploads, and malformed, oversized or unmasked WebSocket frames after a valid upgrade.
 */
import { API_CHANNELS } from '../../common/api.js'

export interface HttpCase {
  what: string
  /** Raw bytes for a TCP connection, in pieces written one after another. */
  pieces: Buffer[]
  /** Opens a WebSocket (with the token) first; the pieces are sent as frames after the 101. */
  ws?: boolean
  /** An API request whose JSON answer must be an error envelope with a one-line message. */
  expectEnvelope?: boolean
  /** The answer must not redirect off this origin. */
  checkRedirect?: boolean
}

export interface HttpContext {
  port: number
  token: string
  /** A model in the store (for runs that must fail fast on a hostile dataset). */
  modelId: number
  /** A FIFO on disk (a path a payload names). */
  fifo: string
}

type Rng = () => number
const int = (r: Rng, n: number): number => Math.floor(r() * n)
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)] as T

function randomBytes(r: Rng, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => int(r, 256)))
}

/** A client → server frame (masked, as RFC 6455 requires of clients unless `unmasked`). */
export function wsFrame(opcode: number, payload: Buffer, o: { unmasked?: boolean; fakeLength?: bigint } = {}): Buffer {
  const head: number[] = [0x80 | (opcode & 0x0f)]
  const mask = o.unmasked ? 0 : 0x80
  const len = o.fakeLength ?? BigInt(payload.length)
  if (len < 126n) head.push(mask | Number(len))
  else if (len < 65536n) head.push(mask | 126, Number(len >> 8n) & 255, Number(len) & 255)
  else {
    head.push(mask | 127)
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(8 * i)) & 255n))
  }
  if (o.unmasked) return Buffer.concat([Buffer.from(head), payload])
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78])
  const body = Buffer.from(payload.map((b, i) => b ^ (key[i % 4] as number)))
  return Buffer.concat([Buffer.from(head), key, body])
}

function request(c: HttpContext, method: string, path: string, body = '', headers: Record<string, string> = {}): Buffer {
  const h = { Host: `127.0.0.1:${c.port}`, Authorization: `Bearer ${c.token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close', ...headers }
  const lines = Object.entries(h).filter(([, v]) => v !== '').map(([k, v]) => `${k}: ${v}`)
  return Buffer.from(`${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1')
}

const HOSTILE_VALUES: unknown[] = [
  null, true, -1, 0, 1.5, 1e308, -0, 2 ** 53 + 2, '', 'x'.repeat(5000), '\u0000', '../../etc/passwd', [], [1, 'a', null],
  { toString: 1 }, { valueOf: 1 }, { __proto__: { admin: true } }, { constructor: { prototype: {} } },
]

/** A JSON text with a value JSON.stringify cannot write (1e400 → Infinity, big ints that do not survive). */
const RAW_NUMBERS = ['1e400', '-1e400', '9007199254740993', '1.0000000000000000001', '0x10', 'NaN']

function hostileJson(r: Rng): string {
  const roll = int(r, 6)
  if (roll === 0) return `{"runId":${pick(r, RAW_NUMBERS)}}`
  if (roll === 1) return '['.repeat(1 + int(r, 200_000))
  if (roll === 2) return `{"${pick(r, ['modelId', 'runId', 'path', 'name', 'kind', 'runIds'])}":${JSON.stringify(pick(r, HOSTILE_VALUES))}}`
  if (roll === 3) return JSON.stringify(Object.fromEntries(Array.from({ length: 1 + int(r, 4) }, () => [pick(r, ['modelId', 'deviceName', 'kind', 'dataset', 'limit', 'latency', 'session', 'recipe']), pick(r, HOSTILE_VALUES)])))
  if (roll === 4) return randomBytes(r, int(r, 300)).toString('latin1')
  return JSON.stringify(pick(r, HOSTILE_VALUES))
}

/** The fixed cases that reproduce what broke (issue 14), then `n` seeded ones. */
export function hostileHttp(c: HttpContext, r: Rng, n: number): HttpCase[] {
  const t = c.token
  const host = `Host: 127.0.0.1:${c.port}\r\n`
  const api = (channel: string, body: string, what: string): HttpCase => ({ what, pieces: [request(c, 'POST', `/api/${channel}`, body)], expectEnvelope: true })
  const cases: HttpCase[] = [
    { what: 'open redirect /.//evil.com/', pieces: [Buffer.from(`GET /.//evil.com/?token=${t} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)], checkRedirect: true },
    { what: 'open redirect ///evil.com', pieces: [Buffer.from(`GET ///evil.com/x?token=${t} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)], checkRedirect: true },
    { what: 'open redirect /\\evil.com', pieces: [Buffer.from(`GET /\\\\evil.com/?token=${t} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)], checkRedirect: true },
    { what: 'malformed percent-encoding in the channel', pieces: [request(c, 'POST', '/api/%E0%A4%A', '{}')], expectEnvelope: true },
    { what: 'a URL that does not parse (//x:99999/)', pieces: [request(c, 'GET', '//x:99999/')] },
    { what: 'a 20 KB header', pieces: [request(c, 'GET', '/', '', { 'X-Big': 'a'.repeat(20_000) })] },
    { what: 'a 100 KB request line', pieces: [request(c, 'GET', `/${'a'.repeat(100_000)}`)] },
    { what: 'Content-Length and chunked together', pieces: [Buffer.from(`POST /api/app:info HTTP/1.1\r\n${host}Authorization: Bearer ${t}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n`)] },
    { what: 'bad chunk sizes', pieces: [Buffer.from(`POST /api/app:info HTTP/1.1\r\n${host}Authorization: Bearer ${t}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZZ\r\n{}\r\n0\r\n\r\n`)] },
    { what: 'a JSON body above 16 MiB', pieces: [request(c, 'POST', '/api/runs:list', `"${'a'.repeat(17 * 1024 * 1024)}"`)], expectEnvelope: true },
    { what: 'ids that do not survive a round trip', pieces: [request(c, 'POST', '/api/runs:get', '{"runId":1e400}')], expectEnvelope: true },
    { what: 'a channel that is an object', pieces: [request(c, 'POST', '/api/[object%20Object]', '{}')], expectEnvelope: true },
    ...['/dev/zero', '/dev/urandom', c.fifo, '/proc/self/mem', '/', '/etc/shadow', 'a\u0000b', `/${'x'.repeat(4000)}`].map((p) => api('models:import', JSON.stringify({ path: p }), `models:import ${p.slice(0, 40)}`)),
    ...['/dev/zero', c.fifo].map((d) => api('runs:start', JSON.stringify({ kind: 'eval', modelId: c.modelId, deviceName: 'local', dataset: d, limit: 10 }), `an eval on dataset ${d}`)),
    api('models:importBytes', JSON.stringify({ fileName: 'x.onnx', dataBase64: Buffer.from('not a model').toString('base64') }), 'models:importBytes junk'),
    { what: 'an upload of junk', pieces: [request(c, 'POST', '/api/models:importBytes', 'junk'.repeat(1000), { 'Content-Type': 'application/octet-stream', 'X-EdgeBench-File-Name': 'x.onnx' })], expectEnvelope: true },
    { what: 'an upload named ../../x', pieces: [request(c, 'POST', '/api/models:importBytes', 'junk', { 'Content-Type': 'application/octet-stream', 'X-EdgeBench-File-Name': '..%2F..%2Fx' })], expectEnvelope: true },
    { what: 'an upload without a name', pieces: [request(c, 'POST', '/api/models:importBytes', 'junk', { 'Content-Type': 'application/octet-stream' })], expectEnvelope: true },
    { what: 'an upload cut off mid-body', pieces: [request(c, 'POST', '/api/models:importBytes', '', { 'Content-Type': 'application/octet-stream', 'X-EdgeBench-File-Name': 'cut.onnx', 'Content-Length': '50000000' }), randomBytes(r, 10_000)] },
    { what: 'WebSocket: the request that killed the server', ws: true, pieces: [wsFrame(1, Buffer.from('{"id":4,"channel":{"toString":1}}'))] },
    { what: 'WebSocket: id 1e400', ws: true, pieces: [wsFrame(1, Buffer.from('{"id":1e400,"channel":"app:info"}'))] },
    { what: 'WebSocket: a 2^63 byte frame header', ws: true, pieces: [wsFrame(2, Buffer.alloc(8), { fakeLength: 2n ** 63n - 1n })] },
    { what: 'WebSocket: a 1 MB frame', ws: true, pieces: [wsFrame(2, Buffer.alloc(1024 * 1024))] },
    { what: 'WebSocket: an unmasked frame', ws: true, pieces: [wsFrame(1, Buffer.from('hi'), { unmasked: true })] },
    { what: 'WebSocket: reserved opcode 3', ws: true, pieces: [wsFrame(3, Buffer.from('x'))] },
    { what: 'WebSocket: 2,000 pings', ws: true, pieces: [Buffer.concat(Array.from({ length: 2000 }, () => wsFrame(9, Buffer.alloc(4))))] },
  ]
  const channels = [...API_CHANNELS, 'no:such', '__proto__', 'constructor', 'toString']
  for (let i = 0; i < n; i++) {
    const roll = int(r, 5)
    if (roll === 0) cases.push({ what: `seeded ${i}: random bytes`, pieces: [randomBytes(r, 1 + int(r, 8000))] })
    else if (roll === 1) cases.push({ what: `seeded ${i}: WebSocket garbage`, ws: true, pieces: [randomBytes(r, 1 + int(r, 4000))] })
    else if (roll === 2) {
      const line = `${pick(r, ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'BREW', ''])} ${pick(r, ['/', '/api/', '/ws', '/%', '/%00', '/..%2f..%2fetc/passwd', '*', 'http://evil/'])}${randomBytes(r, int(r, 30)).toString('latin1').replace(/[\r\n ]/g, '')} HTTP/${pick(r, ['1.1', '1.0', '0.9', '9'])}`
      cases.push({ what: `seeded ${i}: request line`, pieces: [Buffer.from(`${line}\r\n${host}Authorization: Bearer ${t}\r\nConnection: close\r\n\r\n`, 'latin1')] })
    } else cases.push({ ...api(pick(r, channels), hostileJson(r), `seeded ${i}: hostile payload`), expectEnvelope: true })
  }
  return cases
}
