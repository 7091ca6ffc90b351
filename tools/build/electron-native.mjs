/**
 * The SQLite binding for Electron (see main/store/sqlite-binding.ts): better-sqlite3 rebuilt with
 * @electron/rebuild for this project's Electron version, in a scratch copy of the package so the
 * system-Node build in node_modules (CLI, tests) is never touched. The result is
 * build/electron-native/better_sqlite3.node with a stamp naming what it was built for; `npm start`
 * and `npm run dist` call this, and it does nothing while the stamp still matches.
 * Rebuilding needs Electron's headers (or a prebuilt binding) from the internet, once.
 *
 * Plain JavaScript: bin/start.mjs imports it before anything TypeScript is registered.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

export const nativeDir = (root) => join(root, 'build', 'electron-native')
export const bindingPath = (root) => join(nativeDir(root), 'better_sqlite3.node')

const packageDir = (name) => dirname(require.resolve(`${name}/package.json`))
const versionOf = (name) => JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')).version

/** What the binding must have been built for. */
export function wantedStamp(arch = process.arch) {
  return { electron: versionOf('electron'), betterSqlite3: versionOf('better-sqlite3'), platform: process.platform, arch }
}

/** True when build/electron-native holds a binding built for `wanted`. */
export function bindingReady(root, wanted = wantedStamp()) {
  try {
    const stamp = JSON.parse(readFileSync(join(nativeDir(root), 'stamp.json'), 'utf8'))
    return existsSync(bindingPath(root)) && Object.entries(wanted).every(([k, v]) => stamp[k] === v)
  } catch {
    return false
  }
}

/** Builds the binding unless it is ready; resolves with its path, rejects with the reason. */
export async function prepareElectronBinding(root, { arch = process.arch, log = () => undefined } = {}) {
  const wanted = wantedStamp(arch)
  if (bindingReady(root, wanted)) return bindingPath(root)
  log(`Building the SQLite binding for Electron ${wanted.electron} (${wanted.platform}-${arch})…`)
  const work = join(nativeDir(root), '.work')
  rmSync(work, { recursive: true, force: true })
  const copy = join(work, 'node_modules', 'better-sqlite3')
  // The package without its system-Node build output, so nothing of that build can leak in.
  cpSync(packageDir('better-sqlite3'), copy, { recursive: true, filter: (src) => !/[\\/]better-sqlite3[\\/]build([\\/]|$)/.test(src) })
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({ name: 'edgebench-electron-native', version: '0.0.0', private: true, dependencies: { 'better-sqlite3': wanted.betterSqlite3 } }),
  )
  const { rebuild } = await import('@electron/rebuild')
  try {
    await rebuild({ buildPath: work, electronVersion: wanted.electron, arch, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' })
    mkdirSync(nativeDir(root), { recursive: true })
    copyFileSync(join(copy, 'build', 'Release', 'better_sqlite3.node'), bindingPath(root))
    writeFileSync(join(nativeDir(root), 'stamp.json'), `${JSON.stringify(wanted, null, 2)}\n`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return bindingPath(root)
}

// `npm run prepare:electron [-- --arch arm64]`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  const i = process.argv.indexOf('--arch')
  const arch = i > 0 ? process.argv[i + 1] : process.arch
  try {
    const path = await prepareElectronBinding(root, { arch, log: (l) => process.stderr.write(`${l}\n`) })
    process.stdout.write(`${path}\n`)
  } catch (e) {
    process.stderr.write(`prepare:electron: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`)
    process.exitCode = 1
  }
}
