/**
 * Serves the built renderer (out/renderer) read-only. Paths are resolved inside the root and
 * checked again after following symlinks, so no request can read a file outside it.
 */
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
}

export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

export interface StaticFile {
  path: string
  size: number
  type: string
  stream: () => NodeJS.ReadableStream
}

/**
 * The file for a URL path, or null. A path without an extension that matches nothing falls back
 * to index.html, so the UI's client-side routes survive a reload.
 */
export async function findStatic(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const rootAbs = resolve(root)
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '')
  const candidate = resolve(rootAbs, rel)
  if (candidate !== rootAbs && !candidate.startsWith(rootAbs + sep)) return null
  const found = (await fileInside(rootAbs, candidate)) ?? (extname(rel) === '' ? await fileInside(rootAbs, join(rootAbs, 'index.html')) : null)
  return found
}

async function fileInside(rootAbs: string, path: string): Promise<StaticFile | null> {
  try {
    const [realRoot, real] = await Promise.all([realpath(rootAbs), realpath(path)])
    if (!real.startsWith(realRoot + sep)) return null
    const st = await stat(real)
    if (!st.isFile()) return null
    return { path: real, size: st.size, type: contentType(real), stream: () => createReadStream(real) }
  } catch {
    return null
  }
}

/** Shown when the renderer has not been built yet. */
export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EdgeBench Studio</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}code{background:#eee;padding:.1em .3em}</style>
</head><body><h1>EdgeBench Studio</h1>
<p>The user interface has not been built yet. Run <code>npm run build</code> in the studio's folder, then reload this page.</p>
<p>The API is running: the command line (<code>edgebench</code>) works meanwhile.</p>
</body></html>
`
