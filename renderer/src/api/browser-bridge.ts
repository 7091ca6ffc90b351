/**
 * The StudioBridge of browser mode: requests as `POST /api/<channel>` and events over one WebSocket
 * at the same origin. The access token comes from the page URL (`?token=`) on first load; it is kept
 * for this tab only and removed from the address bar so it is not shared by copy-paste. The server
 * also sets a cookie, so a reload without the token still works.
 */
import {
  API_HTTP_PREFIX,
  API_UPLOAD_EXTRAS_HEADER,
  API_UPLOAD_NAME_HEADER,
  API_WS_PATH,
  type ApiChannel,
  type ApiEventMessage,
  type ApiEventName,
  type ApiEvents,
  type ApiResult,
  type ApiValue,
  type ImportExtras,
  type ModelInfo,
  type PayloadArgs,
  type StudioBridge,
} from '../../../common/api.js'

const TOKEN_KEY = 'edgebench.token'

/** Reads `?token=` once, remembers it for the tab, and cleans the address bar. */
export function takeToken(
  loc: Location = window.location,
  storage: Storage = window.sessionStorage,
): string | null {
  const url = new URL(loc.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  return storage.getItem(TOKEN_KEY)
}

type Listener = (payload: unknown) => void

function isEventMessage(x: unknown): x is ApiEventMessage {
  return typeof x === 'object' && x !== null && typeof (x as { event?: unknown }).event === 'string'
}

export function createBrowserBridge(
  token: string | null,
  origin: string = window.location.origin,
): StudioBridge {
  const listeners = new Map<string, Set<Listener>>()
  let socket: WebSocket | null = null
  let retryMs = 500
  let closed = false

  function connect(): void {
    if (closed) return
    const wsUrl = new URL(API_WS_PATH, origin)
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:'
    if (token) wsUrl.searchParams.set('token', token)
    const ws = new WebSocket(wsUrl.href)
    socket = ws
    ws.addEventListener('open', () => {
      retryMs = 500
    })
    ws.addEventListener('message', (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return
      let msg: unknown
      try {
        msg = JSON.parse(ev.data)
      } catch {
        return
      }
      if (!isEventMessage(msg)) return
      for (const l of listeners.get(msg.event) ?? []) l(msg.payload)
    })
    ws.addEventListener('close', () => {
      socket = null
      if (closed || listeners.size === 0) return
      // Reconnect with back-off: the server may be restarting.
      setTimeout(connect, retryMs)
      retryMs = Math.min(retryMs * 2, 10_000)
    })
  }

  /** POSTs a body to a channel's URL and reads the ApiResult it answers. */
  async function post<T>(channel: ApiChannel, contentType: string, body: BodyInit, extra: Record<string, string> = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { 'content-type': contentType, ...extra }
    if (token) headers.authorization = `Bearer ${token}`
    let res: Response
    try {
      res = await fetch(new URL(API_HTTP_PREFIX + channel, origin).href, {
        method: 'POST',
        headers,
        credentials: 'same-origin',
        body,
      })
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      return {
        ok: false,
        error: {
          code: 'DEVICE_UNREACHABLE',
          message: `The studio server did not answer (${message}). Is \`edgebench serve\` still running?`,
        },
      }
    }
    if (res.status === 401 || res.status === 403) {
      return {
        ok: false,
        error: {
          code: 'AUTH_FAILED',
          message:
            'The server refused this page. Open the address printed by `edgebench serve` (it carries the token).',
        },
      }
    }
    try {
      return (await res.json()) as ApiResult<T>
    } catch {
      return {
        ok: false,
        error: { code: 'INTERNAL', message: `The server answered ${res.status} without a result.` },
      }
    }
  }

  function invoke<C extends ApiChannel>(channel: C, ...args: PayloadArgs<C>): Promise<ApiResult<ApiValue<C>>> {
    return post<ApiValue<C>>(channel, 'application/json', JSON.stringify(args[0] ?? null))
  }

  /** The file's bytes as the body: the server streams them to disk (no base64 copy anywhere). */
  function importModelFile(file: Blob, fileName: string, extras?: ImportExtras): Promise<ApiResult<ModelInfo>> {
    const headers: Record<string, string> = { [API_UPLOAD_NAME_HEADER]: encodeURIComponent(fileName) }
    if (extras && Object.keys(extras).length > 0) headers[API_UPLOAD_EXTRAS_HEADER] = encodeURIComponent(JSON.stringify(extras))
    return post<ModelInfo>('models:importBytes', 'application/octet-stream', file, headers)
  }

  function on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    let set = listeners.get(event)
    if (!set) listeners.set(event, (set = new Set()))
    const l = listener as Listener
    set.add(l)
    if (!socket) connect()
    return () => {
      set.delete(l)
      if (set.size === 0) listeners.delete(event)
    }
  }

  window.addEventListener('pagehide', () => {
    closed = true
    socket?.close()
  })

  return { mode: 'browser', invoke, importModelFile, on }
}
