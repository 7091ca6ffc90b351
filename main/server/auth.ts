/**
 * Browser-mode access control. The server binds 127.0.0.1 only, but any local process or web page
 * could still reach that port, so every request must carry the random token printed with the URL:
 * `?token=` on the first page load (then swapped for an HttpOnly SameSite=Strict cookie), or the
 * cookie, or `Authorization: Bearer`. Host and Origin are checked too, against DNS rebinding and
 * cross-site requests.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

/** Cookies are not port-isolated: one name per port keeps two studios on one machine apart. */
export function cookieName(port: number): string {
  return `edgebench_token_${port}`
}

export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  return m?.[1]
}

export interface AuthCheck {
  ok: boolean
  /** The token came in the query string (a first page load): answer with a cookie and a redirect. */
  viaQuery: boolean
}

/** Whether the request carries the token, and how. The query is honoured only where `allowQuery`. */
export function checkToken(req: IncomingMessage, url: URL, token: string, port: number, allowQuery: boolean): AuthCheck {
  if (sameToken(bearer(req.headers.authorization), token)) return { ok: true, viaQuery: false }
  if (sameToken(cookieValue(req.headers.cookie, cookieName(port)), token)) return { ok: true, viaQuery: false }
  const q = url.searchParams.get('token') ?? undefined
  if (allowQuery && sameToken(q, token)) return { ok: true, viaQuery: true }
  return { ok: false, viaQuery: false }
}

/** Host must name this loopback server (a rebinding attack arrives with its own host name). */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = (req.headers.host ?? '').toLowerCase()
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`
}

/** A browser always sends Origin on cross-site requests and WebSocket upgrades; it must be ours. */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return true
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`
}
