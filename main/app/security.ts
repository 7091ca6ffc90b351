/**
 * The desktop shell's locks, in one place: the only webPreferences a window may have, which
 * URLs count as the app itself, and the guards every WebContents gets (no navigation, no new
 * windows, no permissions, a CSP). Pure data and small functions, so a test can check them
 * against a fake `electron`.
 */
import { pathToFileURL } from 'node:url'
import type { Session, WebContents, WebPreferences } from 'electron'

/** The renderer is untrusted code: isolated, sandboxed, no Node. Never loosened per window. */
export const LOCKED_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const satisfies WebPreferences

export const DESKTOP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"

/** Where the app's own pages come from: the built index.html, or the dev server in development. */
export type AppSource = { kind: 'file'; indexPath: string } | { kind: 'url'; url: string }

/**
 * Whether a URL is the app's own page. A built app is exactly its index.html (any hash route); a
 * dev server is its origin. Anything else — another file, a remote page, an iframe — is foreign.
 */
export function isAppUrl(url: string, source: AppSource): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (source.kind === 'file') {
    const own = pathToFileURL(source.indexPath)
    return u.protocol === 'file:' && u.host === own.host && u.pathname === own.pathname
  }
  return u.origin === new URL(source.url).origin
}

/** Only https links leave the app, and only to the user's browser. */
export function isExternalLink(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:'
  } catch {
    return false
  }
}

/** No camera, microphone, notifications, geolocation, …: the studio needs none of them. */
export function hardenSession(session: Session, csp: string = DESKTOP_CSP): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } })
  })
}

/**
 * Navigation away from the app and new windows are refused; an https link the user clicks opens
 * in their browser instead.
 */
export function hardenContents(contents: WebContents, openExternal: (url: string) => Promise<void>): void {
  const leave = (url: string): void => {
    if (isExternalLink(url)) void openExternal(url).catch(() => undefined)
  }
  contents.on('will-navigate', (event, url) => {
    event.preventDefault()
    leave(url)
  })
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    leave(url)
    return { action: 'deny' }
  })
}
