/**
 * The desktop app's SQLite binding: inside Electron (process.versions.electron set) the store
 * loads the copy built for Electron's ABI, and says how to make it when it is missing; under
 * plain Node (CLI, tests, browser mode) it loads better-sqlite3's own build and never looks for
 * the Electron copy. Each case runs in a fresh Node process and reads which binding the
 * process really mapped (/proc/self/maps).
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'edgebench-binding-'))
// A stand-in for the Electron build: a copy of the system build (Electron's own cannot load here).
const systemBinding = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node')
const electronBinding = join(dir, 'electron-native', 'better_sqlite3.node')
mkdirSync(dirname(electronBinding))
copyFileSync(systemBinding, electronBinding)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Opens a store in a fresh process; `electron` fakes process.versions.electron first. */
function openIn(opts: { electron?: string; binding?: string }): { mapped: string[]; error?: { code: string; message: string } } {
  const script = `
    import { readFileSync } from 'node:fs'
    ${opts.electron ? `Object.defineProperty(process.versions, 'electron', { value: ${JSON.stringify(opts.electron)} })` : ''}
    const { Store } = await import(${JSON.stringify(join(root, 'main/store/store.ts'))})
    let error
    try {
      Store.open(${JSON.stringify(join(dir, `${Math.random()}.db`))}, ${JSON.stringify(opts.binding ? { electronBinding: opts.binding } : {})}).close()
    } catch (e) {
      error = { code: e.code, message: e.message }
    }
    const mapped = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5] ?? '').filter((p) => p.endsWith('better_sqlite3.node')))]
    process.stdout.write(JSON.stringify({ mapped, error }))
  `
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as { mapped: string[]; error?: { code: string; message: string } }
}

describe('the SQLite binding', () => {
  it('inside Electron, loads the binding built for Electron and nothing else', () => {
    const r = openIn({ electron: '45.4.1', binding: electronBinding })
    expect(r.error).toBeUndefined()
    expect(r.mapped).toEqual([electronBinding])
  })

  it('inside Electron without that binding, refuses with the command that makes it', () => {
    const r = openIn({ electron: '45.4.1', binding: join(dir, 'missing', 'better_sqlite3.node') })
    expect(r.error?.code).toBe('STORE_ERROR')
    expect(r.error?.message).toMatch(/built for Electron 45\.4\.1 is missing .*npm run prepare:electron/)
    expect(r.mapped).toEqual([])
  })

  it('under plain Node, loads the package\'s own build and never the Electron one, even when offered', () => {
    const r = openIn({ binding: electronBinding })
    expect(r.error).toBeUndefined()
    expect(r.mapped).toEqual([systemBinding])
    // Offered a path that does not exist, plain Node does not care: it never asks for it.
    expect(openIn({ binding: join(dir, 'missing', 'x.node') }).error).toBeUndefined()
  })
})
