/**
 * Where a child process's entry script lives. In the sources (CLI, dev, tests) it is the
 * TypeScript file, run under tsx; in a build it is the bundled script beside the bundle that
 * forks it (out/main/<name>.js).
 *
 * Inside a packaged desktop app that bundle sits in `resources/app.asar`, but the child scripts
 * are unpacked (electron-builder's asarUnpack) into `resources/app.asar.unpacked`: the child is
 * Electron running as plain Node, its inference thread is a worker_thread, and ONNX Runtime's
 * shared libraries are opened by the OS loader — none of which can read inside an asar archive.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface ChildEntry {
  file: string
  execArgv: string[]
}

const ASAR = `${sep}app.asar${sep}`

/** The same path in the unpacked twin of an app.asar archive; other paths unchanged. */
export function unpackedPath(path: string): string {
  const at = path.lastIndexOf(ASAR)
  if (at < 0) return path
  return `${path.slice(0, at)}${sep}app.asar.unpacked${sep}${path.slice(at + ASAR.length)}`
}

/**
 * The entry of a child: `source` (a .ts file) under tsx when it exists, else `built`, mapped out
 * of app.asar when the bundle runs from one.
 */
export function childEntry(source: URL, built: URL): ChildEntry {
  const ts = fileURLToPath(source)
  if (existsSync(ts)) {
    // Resolved to an absolute URL so the child finds tsx whatever its working directory.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
    return { file: ts, execArgv: ['--import', tsx] }
  }
  return { file: unpackedPath(fileURLToPath(built)), execArgv: [] }
}
