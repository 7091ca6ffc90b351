/**
 * `npm run smoke:desktop` where Electron cannot run (this machine): it says so in one line and
 * exits non-zero — it never passes without having tested anything, and never hangs on a download.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const home = mkdtempSync(join(tmpdir(), 'edgebench-smoke-test-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

it('says Electron is not available and exits 1', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, EDGEBENCH_HOME: home, ELECTRON_OVERRIDE_DIST_PATH: join(home, 'no-electron'), EDGEBENCH_SMOKE_XVFB: '1' }
  delete env.DISPLAY
  const r = spawnSync(process.execPath, [join(root, 'tools/smoke-desktop.mjs')], { cwd: root, env, encoding: 'utf8', timeout: 60_000 })
  expect(r.status).toBe(1)
  expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^smoke:desktop: Electron is not available here — Electron's runtime is missing .*Nothing was tested\.$/)])
})
