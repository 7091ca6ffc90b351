// What `npm start` and `npm run smoke:desktop` need before Electron can open a window: Electron's
// runtime (downloaded on first use), the SQLite binding built for Electron's ABI, and an
// up-to-date electron-vite build. Each step answers null when done, or the one-line reason it
// could not be done (the caller falls back to browser mode, or fails the smoke test).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { prepareElectronBinding } from '../tools/build/electron-native.mjs'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
/** The runtime is ~100 MB; a slow line gets ten minutes before we give up on it. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000

function electronDir() {
  try {
    return dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
}

/** The executable electron/index.js would answer, without its download (which throws offline). */
function executable(dir) {
  const pathFile = join(dir, 'path.txt')
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  if (override) return join(override, name ?? 'electron')
  return name ? join(dir, 'dist', name) : null
}

/** Electron's own installer (electron/install.js): fetches the runtime for this platform once. */
function download(dir, log) {
  log("Downloading Electron's runtime (first start only)…")
  const r = spawnSync(process.execPath, [join(dir, 'install.js')], { cwd: dir, encoding: 'utf8', timeout: DOWNLOAD_TIMEOUT_MS })
  if (r.status === 0) return null
  const first = `${r.stderr ?? ''}${r.error?.message ?? ''}`.split('\n').map((l) => l.trim()).find(Boolean)
  return `Electron's runtime could not be downloaded (${first ?? `status ${r.status}`})`
}

/** { bin } for a runnable Electron, or { reason }. Downloads the runtime when it is missing. */
export function electronRuntime({ log = () => undefined } = {}) {
  const dir = electronDir()
  if (!dir) return { reason: 'the electron package is not installed' }
  let bin = executable(dir)
  // An override names a runtime the user placed; never download over it.
  if (!process.env.ELECTRON_OVERRIDE_DIST_PATH && (!bin || !existsSync(bin))) {
    const failed = download(dir, log)
    if (failed) return { reason: failed }
    bin = executable(dir)
  }
  if (!bin || !existsSync(bin)) return { reason: `Electron's runtime is missing (${bin ?? 'no path.txt'})` }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'there is no display to open a window on', bin }
  }
  return { bin }
}

/** The SQLite binding for Electron's ABI (tools/build/electron-native.mjs), built once. */
export async function electronBinding({ log = () => undefined } = {}) {
  try {
    await prepareElectronBinding(root, { log })
    return null
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]
    return `the SQLite binding for Electron could not be built (${first})`
  }
}

function newestMtime(dir) {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/** Builds main, preload, renderer and the child scripts when out/ is missing or older than the sources. */
export function ensureElectronBuild({ log = () => undefined } = {}) {
  const built = join(root, 'out', 'main', 'index.js')
  const sources = ['main', 'devices', 'common', 'preload', 'renderer'].map((d) => join(root, d))
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newestMtime))) return null
  let cli
  try {
    const pkgPath = require.resolve('electron-vite/package.json')
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'))
    cli = join(dirname(pkgPath), typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['electron-vite'])
  } catch {
    return 'electron-vite is not installed, so the desktop app cannot be built'
  }
  log('Building the desktop app (electron-vite build)…')
  const r = spawnSync(process.execPath, [cli, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
  return r.status === 0 ? null : 'the desktop app failed to build (see above)'
}
