#!/usr/bin/env node
// `npm start`: the desktop app — on first start it downloads Electron's runtime, builds the SQLite
// binding for Electron's ABI and the app (bin/desktop.mjs) — and where any of that cannot be done,
// one line saying why and the same UI in browser mode (what `edgebench serve` does) with its URL.
// Options: --port <n> and --db <file> (browser mode), --browser (skip Electron).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { electronBinding, electronRuntime, ensureElectronBuild, root } from './desktop.mjs'

const require = createRequire(import.meta.url)
/** An Electron that dies this soon after launch never worked here (missing libraries, no GPU…). */
const QUICK_EXIT_MS = 5000

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, db: { type: 'string' }, browser: { type: 'boolean' } },
  allowPositionals: false,
})

/** First start on a fresh clone: build the browser-mode UI (about half a minute). */
function buildRenderer() {
  process.stderr.write('Building the studio UI for browser mode (first start only)…\n')
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js')
  const r = spawnSync(process.execPath, [vite, 'build', '-c', 'vite.config.renderer.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  })
  if (r.status !== 0) process.stderr.write('The UI failed to build (see above); run `npm run build:renderer` to retry.\n')
}

/** Resolves with null when Electron ran (and exited after a while), or with the reason it could not. */
function launchElectron(bin) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(bin, [root], { cwd: root, stdio: 'inherit' })
    const forward = (sig) => () => child.kill(sig)
    process.on('SIGINT', forward('SIGINT'))
    process.on('SIGTERM', forward('SIGTERM'))
    child.on('error', (e) => resolve(`Electron could not be started (${e.message})`))
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null && Date.now() - started < QUICK_EXIT_MS) {
        resolve(`Electron exited at once with status ${code}`)
        return
      }
      process.exitCode = code ?? 0
      resolve(null)
    })
  })
}

async function browserMode() {
  const { register } = await import('tsx/esm/api')
  register()
  const { Studio } = await import('../main/studio.ts')
  const { createLogger } = await import('../main/log.ts')
  const { defaultDbPath } = await import('../main/paths.ts')
  const { runBrowserMode, defaultRendererDir } = await import('../main/server/browser-mode.ts')
  const port = args.port === undefined ? undefined : Number(args.port)
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port must be an integer 0–65535 (got '${args.port}').\n`)
    process.exitCode = 2
    return
  }
  const stop = new AbortController()
  let stops = 0
  process.on('SIGINT', () => {
    stops += 1
    if (stops > 1) process.exit(130)
    stop.abort()
  })
  process.on('SIGTERM', () => stop.abort())
  const studio = Studio.open({ dbPath: args.db ?? defaultDbPath(), logger: createLogger('warn') })
  try {
    if (!existsSync(join(defaultRendererDir(), 'index.html'))) buildRenderer()
    await runBrowserMode({
      studio,
      print: (line) => process.stdout.write(`${line}\n`),
      signal: stop.signal,
      ...(port !== undefined ? { port } : {}),
    })
  } finally {
    await studio.close()
  }
}

/** Progress of the first-start steps goes to stderr; stdout keeps the one line that matters. */
const log = (line) => process.stderr.write(`${line}\n`)

async function main() {
  if (!args.browser) {
    const runtime = electronRuntime({ log })
    let reason = runtime.reason ?? (await electronBinding({ log })) ?? ensureElectronBuild({ log })
    if (!reason && runtime.bin) {
      reason = await launchElectron(runtime.bin)
      if (!reason) return
    }
    process.stdout.write(`${reason}: starting EdgeBench Studio in browser mode instead.\n`)
  }
  await browserMode()
}

try {
  await main()
} catch (e) {
  const code = e && typeof e === 'object' && 'code' in e ? `${e.code}: ` : ''
  process.stderr.write(`edgebench start: ${code}${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
}
