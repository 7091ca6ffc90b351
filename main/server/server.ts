/**
 * Browser mode: the built renderer and the API contract over HTTP (`POST /api/<channel>`, JSON)
 * and a WebSocket (`/ws`) that only pushes events. Bound to 127.0.0.1 only; every request needs the token (see auth.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname } from 'node:path'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { API_HTTP_PREFIX, API_UPLOAD_EXTRAS_HEADER, API_UPLOAD_NAME_HEADER, API_WS_PATH, type ApiResult } from '../../common/api.js'
import { StudioError, type ErrorInfo } from '../../common/errors.js'
import { silentLogger, type Logger } from '../log.js'
import type { Studio } from '../studio.js'
import { createHandlers, type ApiHandlers } from '../api/handlers.js'
import { checkToken, hostAllowed, newToken, originAllowed, sessionCookie } from './auth.js'
import { findStatic, NOT_BUILT_PAGE } from './static-files.js'

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
  "connect-src 'self' ws://127.0.0.1:*; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"

/**
 * JSON bodies are parsed in memory, so they stay small; a model comes as an upload (streamed to
 * disk, see API_UPLOAD_NAME_HEADER), never as base64 inside JSON.
 */
const MAX_JSON_BYTES = 16 * 1024 * 1024
/** The socket only pushes events; a client has nothing to send on it. */
const MAX_WS_FRAME_BYTES = 64 * 1024
/** Event backlog above which progress events to a slow client are skipped (the next one catches up). */
const MAX_BUFFERED = 4 * 1024 * 1024

export interface ServerOptions {
  studio: Studio
  /** 0 (default) picks a free port. */
  port?: number
  /** Only loopback: the API can start runs and read files on this machine. */
  host?: '127.0.0.1'
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** Fixed token (tests); default: 24 random bytes, base64url. */
  token?: string
  /** Shared handlers; default: new ones in 'browser' mode. */
  handlers?: ApiHandlers
  logger?: Logger
}

export interface RunningServer {
  /** The socket address actually bound (always 127.0.0.1). */
  address: AddressInfo
  host: string
  port: number
  token: string
  /** http://127.0.0.1:<port>/ */
  origin: string
  /** The URL to open: origin with `?token=`. */
  url: string
  handlers: ApiHandlers
  close(): Promise<void>
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...extra,
  })
  res.end(text)
}

function fail(res: ServerResponse, status: number, error: ErrorInfo, extra: Record<string, string> = {}): void {
  const body: ApiResult<never> = { ok: false, error }
  sendJson(res, status, body, extra)
}

const UNAUTHORIZED: ErrorInfo = {
  code: 'AUTH_FAILED',
  message: 'Missing or wrong token. Open the URL that `edgebench serve` printed (it carries ?token=).',
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) over = true
      else chunks.push(chunk)
    })
    req.on('end', () => resolveBody(over ? null : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function isJsonRequest(req: IncomingMessage): boolean {
  // A cross-site form cannot send application/json without a CORS preflight, which we never grant.
  return /^application\/json\b/i.test(req.headers['content-type'] ?? '')
}

/** The request's URL on this origin, or null when it does not parse (`//x:99999/` throws in URL). */
function requestUrl(req: IncomingMessage, port: number): URL | null {
  try {
    return new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
  } catch {
    return null
  }
}

/**
 * Where to send the browser after swapping the token for a cookie: the same path on this origin.
 * Leading slashes collapse to one, since `//evil.com/` in a Location header names another host.
 */
export function sameOriginLocation(url: URL): string {
  return `/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`
}

/** The uploaded file's name from its header (URI-encoded); undefined when absent or malformed. */
function uploadName(req: IncomingMessage): string | undefined {
  const raw = req.headers[API_UPLOAD_NAME_HEADER]
  if (typeof raw !== 'string') return undefined
  try {
    return decodeURIComponent(raw)
  } catch {
    return undefined
  }
}

/**
 * The upload's extras header (URI-encoded JSON): {} when absent, null when it is not JSON; the
 * handler checks its shape.
 */
function uploadExtras(req: IncomingMessage): unknown {
  const raw = req.headers[API_UPLOAD_EXTRAS_HEADER]
  if (typeof raw !== 'string') return {}
  try {
    return JSON.parse(decodeURIComponent(raw)) as unknown
  } catch {
    return null
  }
}

function decodedChannel(url: URL): string | null {
  try {
    return decodeURIComponent(url.pathname.slice(API_HTTP_PREFIX.length))
  } catch {
    return null
  }
}

async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, handlers: ApiHandlers): Promise<void> {
  const channel = decodedChannel(url)
  if (channel === null) return fail(res, 400, { code: 'BAD_INPUT', message: 'The request path has malformed percent-encoding.' })
  if (req.method !== 'POST') {
    return fail(res, 405, { code: 'BAD_INPUT', message: `Use POST ${API_HTTP_PREFIX}${channel}.` }, { Allow: 'POST' })
  }
  if (channel === 'models:importBytes' && /^application\/octet-stream\b/i.test(req.headers['content-type'] ?? '')) {
    return sendJson(res, 200, await handlers.importStream(uploadName(req), req, uploadExtras(req)))
  }
  if (!isJsonRequest(req)) {
    return fail(res, 415, { code: 'BAD_INPUT', message: 'Send the payload as Content-Type: application/json.' })
  }
  const body = await readBody(req, MAX_JSON_BYTES)
  if (body === null) {
    const message = 'The request is larger than 16 MiB. Upload a model as application/octet-stream (see API_UPLOAD_NAME_HEADER in common/api.ts).'
    return fail(res, 413, { code: 'BAD_INPUT', message })
  }
  let payload: unknown
  if (body.length > 0) {
    try {
      payload = JSON.parse(body.toString('utf8'))
    } catch {
      return fail(res, 400, { code: 'BAD_INPUT', message: 'The request body is not valid JSON.' })
    }
  }
  const result = await handlers.call(channel, payload)
  const status = !result.ok && result.error.code === 'NOT_FOUND' && result.error.message.startsWith('Unknown request') ? 404 : 200
  sendJson(res, status, result)
}

async function handleStatic(req: IncomingMessage, res: ServerResponse, url: URL, rendererDir: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD' })
    res.end()
    return
  }
  const file = await findStatic(rendererDir, url.pathname)
  if (!file) {
    const index = await findStatic(rendererDir, '/')
    if (!index && (url.pathname.endsWith('.html') || extname(url.pathname) === '')) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : NOT_BUILT_PAGE)
      return
    }
    res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' })
    res.end('Not found')
    return
  }
  const isHtml = file.type.startsWith('text/html')
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': file.type,
    'Content-Length': file.size,
    // Vite's assets carry content hashes; the page itself must always be fresh.
    'Cache-Control': isHtml ? 'no-store' : 'private, max-age=3600',
  })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  file.stream().pipe(res)
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404): void {
  const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

function serveSocket(ws: WebSocket, handlers: ApiHandlers): void {
  const unsubscribe = handlers.subscribe((message) => {
    if (ws.readyState !== ws.OPEN) return
    if (message.event === 'run:progress' && ws.bufferedAmount > MAX_BUFFERED) return
    ws.send(JSON.stringify(message))
  })
  ws.on('close', unsubscribe)
  ws.on('error', unsubscribe)
  // Events only: requests go over HTTP, so nothing a client sends on the socket is read.
  ws.on('message', () => undefined)
}

/** Starts browser mode; resolves once listening. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  if (host !== '127.0.0.1') throw new Error('browser mode binds 127.0.0.1 only')
  const token = opts.token ?? newToken()
  const logger = opts.logger ?? silentLogger
  const ownsHandlers = opts.handlers === undefined
  const handlers = opts.handlers ?? createHandlers(opts.studio, { mode: 'browser' })
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME_BYTES })
  let port = 0

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = requestUrl(req, port)
    if (url === null) return fail(res, 400, { code: 'BAD_INPUT', message: 'The request URL does not parse.' })
    if (!hostAllowed(req, port) || !originAllowed(req, port)) {
      return fail(res, 403, { code: 'AUTH_FAILED', message: 'Open the studio at the 127.0.0.1 URL it printed.' })
    }
    const isApi = url.pathname.startsWith(API_HTTP_PREFIX)
    const auth = checkToken(req, url, token, port, !isApi && req.method === 'GET')
    if (!auth.ok) return fail(res, 401, UNAUTHORIZED)
    if (auth.viaQuery) {
      // Swap the token in the address bar for a cookie so it stays out of history and bookmarks.
      url.searchParams.delete('token')
      res.writeHead(303, { ...SECURITY_HEADERS, 'Set-Cookie': sessionCookie(port, token), Location: sameOriginLocation(url) })
      res.end()
      return
    }
    const work = isApi ? handleApi(req, res, url, handlers) : handleStatic(req, res, url, opts.rendererDir)
    work.catch((e: unknown) => {
      logger.error(`browser mode: ${req.method} ${url.pathname}: ${e instanceof Error ? e.message : String(e)}`)
      if (!res.headersSent) fail(res, 500, { code: 'INTERNAL', message: 'The server failed on this request.' })
      else res.destroy()
    })
  }
  // Nothing a client sends may end the process (and the runs in it): a throw here answers 500.
  const server: Server = createServer((req, res) => {
    try {
      onRequest(req, res)
    } catch (e) {
      logger.error(`browser mode: ${req.method} ${req.url?.slice(0, 200)}: ${e instanceof Error ? e.message : String(e)}`)
      if (!res.headersSent) fail(res, 500, { code: 'INTERNAL', message: 'The server failed on this request.' })
      else res.destroy()
    }
  })

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    try {
      const url = requestUrl(req, port)
      if (url === null || url.pathname !== API_WS_PATH) return refuseUpgrade(socket, 404)
      if (!hostAllowed(req, port) || !originAllowed(req, port)) return refuseUpgrade(socket, 403)
      if (!checkToken(req, url, token, port, true).ok) return refuseUpgrade(socket, 401)
      wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, handlers))
    } catch (e) {
      logger.error(`browser mode: upgrade ${req.url?.slice(0, 200)}: ${e instanceof Error ? e.message : String(e)}`)
      socket.destroy()
    }
  })

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject)
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject)
        resolveListen()
      })
    })
  } catch (e) {
    if (ownsHandlers) handlers.dispose()
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new StudioError('BAD_INPUT', `Port ${opts.port ?? 0} on ${host} is ${code === 'EACCES' ? 'not allowed' : 'in use'}; pick another with --port, or leave it out for a free one.`, { cause: e })
    }
    throw e
  }
  const address = server.address() as AddressInfo
  port = address.port
  const origin = `http://${host}:${port}/`

  return {
    address,
    host,
    port,
    token,
    origin,
    url: `${origin}?token=${token}`,
    handlers,
    async close() {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      if (ownsHandlers) handlers.dispose()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
