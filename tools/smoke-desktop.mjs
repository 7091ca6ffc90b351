#!/usr/bin/env node
// `npm run smoke:desktop`: the real desktop app, end to end, on a machine where Electron runs.
// Starts Electron (under xvfb-run on Linux without a display) on a throw-away profile and
// database, waits for the window, benchmarks resnet8 on `local` through the real IPC bridge
// (window.studio → preload → ipcMain → handlers → runner child process), saves a screenshot and
// exits 0; any failure exits 1 with one line saying what failed. Where Electron cannot run at all
// (no runtime, no display, no xvfb-run) it says so and exits 1: nothing was tested.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { electronBinding, electronRuntime, ensureElectronBuild, root } from '../bin/desktop.mjs'

const SHOT = join(root, 'test-results', 'smoke-desktop.png')
const BENCH_TIMEOUT_MS = 5 * 60_000
const log = (line) => process.stderr.write(`${line}\n`)

function fail(message) {
  process.stdout.write(`smoke:desktop: FAILED — ${message}\n`)
  process.exit(1)
}

/** Linux without a display: run this script again inside a virtual one, if xvfb-run is there. */
function underXvfb() {
  if (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY || process.env.EDGEBENCH_SMOKE_XVFB) return null
  if (spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error) return null
  const r = spawnSync('xvfb-run', ['-a', '-s', '-screen 0 1600x1000x24', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, EDGEBENCH_SMOKE_XVFB: '1' },
  })
  return r.status ?? 1
}

async function waitForRun(page, runId) {
  const deadline = Date.now() + BENCH_TIMEOUT_MS
  for (;;) {
    const r = await page.evaluate((id) => window.studio.invoke('runs:get', { runId: id }), runId)
    if (!r.ok) throw new Error(`runs:get: ${r.error.message}`)
    if (!['queued', 'running'].includes(r.value.status)) return r.value
    if (Date.now() > deadline) throw new Error(`run #${runId} still ${r.value.status} after ${BENCH_TIMEOUT_MS / 1000} s`)
    await new Promise((done) => setTimeout(done, 500))
  }
}

/** The zoo is imported in the background at start; resnet8's id once it is there. */
async function resnet8(page) {
  const deadline = Date.now() + 120_000
  for (;;) {
    const r = await page.evaluate(() => window.studio.invoke('models:list'))
    if (!r.ok) throw new Error(`models:list: ${r.error.message}`)
    const m = r.value.find((x) => x.name === 'resnet8')
    if (m) return m.id
    if (Date.now() > deadline) throw new Error('the bundled resnet8 never appeared in models:list')
    await new Promise((done) => setTimeout(done, 500))
  }
}

async function smoke(bin) {
  const { _electron } = await import('playwright-core')
  const tmp = mkdtempSync(join(tmpdir(), 'edgebench-smoke-'))
  let app
  try {
    app = await _electron.launch({
      executablePath: bin,
      args: [root, `--user-data-dir=${join(tmp, 'profile')}`],
      cwd: root,
      env: { ...process.env, EDGEBENCH_HOME: join(tmp, 'data') },
      timeout: 120_000,
    })
    const page = await app.firstWindow({ timeout: 120_000 })
    await page.waitForFunction(() => window.studio?.mode === 'desktop', null, { timeout: 120_000 })
    const modelId = await resnet8(page)
    const started = await page.evaluate(
      (id) => window.studio.invoke('runs:start', { kind: 'bench', modelId: id, deviceName: 'local', latency: { minRuns: 50, minMs: 500 } }),
      modelId,
    )
    if (!started.ok) throw new Error(`runs:start: ${started.error.message}`)
    const run = await waitForRun(page, started.value.runId)
    if (run.status !== 'finished') throw new Error(`the resnet8 bench ended ${run.status}: ${run.error ?? ''}`)
    await page.evaluate(() => (location.hash = '#/benchmarks'))
    await page.waitForTimeout(1500)
    mkdirSync(join(root, 'test-results'), { recursive: true })
    await page.screenshot({ path: SHOT })
    const versions = await app.evaluate(() => ({ electron: process.versions.electron, abi: process.versions.modules }))
    return { p50: run.result.latencyUs.p50, versions }
  } finally {
    await app?.close().catch(() => undefined)
    rmSync(tmp, { recursive: true, force: true })
  }
}

const nested = underXvfb()
if (nested !== null) process.exit(nested)
const runtime = electronRuntime({ log })
if (runtime.reason) {
  process.stdout.write(`smoke:desktop: Electron is not available here — ${runtime.reason}. Nothing was tested.\n`)
  process.exit(1)
}
const notReady = (await electronBinding({ log })) ?? ensureElectronBuild({ log })
if (notReady) fail(notReady)
try {
  const r = await smoke(runtime.bin)
  process.stdout.write(
    `smoke:desktop: OK — Electron ${r.versions.electron} (ABI ${r.versions.abi}) opened the window and benchmarked resnet8 on local ` +
      `through IPC: p50 ${r.p50.toFixed(0)} µs; screenshot ${SHOT}\n`,
  )
} catch (e) {
  fail(e instanceof Error ? e.message.split('\n')[0] : String(e))
}
