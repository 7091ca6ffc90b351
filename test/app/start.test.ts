/**
 * `npm start` on a machine without Electron's runtime (like this one, offline): one line saying
 * so, then browser mode with its URL; Ctrl-C ends it. It must never hang on a download.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const home = mkdtempSync(join(tmpdir(), 'edgebench-start-'))

afterAll(() => rmSync(home, { recursive: true, force: true }))

it('falls back to browser mode, prints the URL, and stops on SIGINT', async () => {
  const child = spawn(process.execPath, [join(root, 'bin/start.mjs'), '--port', '0'], {
    cwd: root,
    // A runtime folder that does not exist stands for "Electron could not be downloaded".
    env: { ...process.env, EDGEBENCH_HOME: home, ELECTRON_OVERRIDE_DIST_PATH: join(home, 'no-electron') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
  const url = await new Promise<string>((done, fail) => {
    child.stdout.on('data', () => {
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(out)
      if (m) done(m[0])
    })
    void exited.then((code) => fail(new Error(`start.mjs exited ${code}: ${out}${err}`)))
  })
  const lines = out.split('\n')
  expect(lines[0]).toMatch(/browser mode instead\.$/)
  expect(lines.filter((l) => /Electron/.test(l))).toHaveLength(1)
  const page = await fetch(url, { redirect: 'manual' })
  expect(page.status).toBe(303)
  child.kill('SIGINT')
  expect(await exited).toBe(0)
})
