/**
 * Accessibility and layout in a real browser: axe-core (injected into each page) finds no serious or
 * critical violation on any view (Recommend and the early-exit panel included), dialog or drawer; every dialog fits its frame at 1280 and 1440 px
 * (screenshots in test-results/screenshots/); a finished run opens from the keyboard.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSpec } from '../../main/bench/run-spec.js'
import { startServer, type RunningServer } from '../../main/server/server.js'
import { Studio } from '../../main/studio.js'
import { chromiumPolicy, launchChromium } from './chromium.js'
import { ensureRendererBuilt, RENDERER_OUT, ROOT } from './renderer-build.js'

const policy = chromiumPolicy()
const SHOTS = join(ROOT, 'test-results/screenshots')
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const QUICK = { minRuns: 20, minMs: 50, warmupRuns: 2, warmupMs: 10 }

interface Violation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[]; html: string }[]
}

describe.skipIf(policy !== 'ok')('accessibility and dialog layout (Chromium, axe-core)', () => {
  let dir = ''
  let studio: Studio
  let server: RunningServer
  let browser: Browser
  let page: Page

  /** Serious and critical axe violations on the page now, one line each. */
  async function axe(where: string): Promise<string[]> {
    if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.addScriptTag({ path: AXE })
    const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`)) as Violation[]
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${where}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')} ${n.html.slice(0, 200)}`).slice(0, 3).join(', ')}`)
  }

  /** In-app navigation (a reload would drop the selection the next step needs). */
  async function go(hash: string, heading: string): Promise<void> {
    await page.evaluate(`location.hash = ${JSON.stringify(`#${hash}`)}`)
    await page.getByRole('heading', { name: heading, exact: true }).first().waitFor()
    await page.waitForTimeout(300)
  }

  /** The open dialog fits the viewport, shows every button inside itself and scrolls no sideways. */
  async function checkDialog(name: string, width: number): Promise<void> {
    const dialog = page.getByRole('dialog').last()
    await dialog.waitFor()
    await page.waitForTimeout(400) // the opening transition
    const box = await dialog.boundingBox()
    if (!box) throw new Error(`${name}: no dialog box`)
    expect(box.x, `${name} at ${width}`).toBeGreaterThanOrEqual(0)
    expect(box.x + box.width, `${name} at ${width}`).toBeLessThanOrEqual(width)
    const overflow = (await page.evaluate(
      `(() => { const all = document.querySelectorAll('[role=dialog]'); const d = all[all.length - 1]; return [d, ...d.querySelectorAll('*')].filter((e) => e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.clientWidth > 4).map((e) => String(e.className)) })()`,
    )) as string[]
    expect(overflow, `${name} at ${width}: sideways scrolling`).toEqual([])
    for (const b of await dialog.getByRole('button').all()) {
      const bb = await b.boundingBox()
      if (!bb || bb.width === 0) continue
      expect(bb.x, `${name} at ${width}: a button left of the dialog`).toBeGreaterThanOrEqual(box.x - 1)
      expect(bb.x + bb.width, `${name} at ${width}: a button beyond the dialog`).toBeLessThanOrEqual(box.x + box.width + 1)
    }
    await page.screenshot({ path: join(SHOTS, `dialog-${name}-${width}.png`) })
  }

  async function closeDialog(): Promise<void> {
    await page.keyboard.press('Escape')
    await page.getByRole('dialog').last().waitFor({ state: 'detached' })
  }

  beforeAll(async () => {
    await ensureRendererBuilt()
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'edgebench-a11y-'))
    studio = Studio.open({ dbPath: join(dir, 'studio.db') })
    const zoo = await studio.ensureZoo()
    for (const name of ['resnet8', 'leanresnet']) {
      const m = zoo.find((z) => z.name === name)
      if (!m) throw new Error(`no ${name}`)
      await studio.runAndWait(runSpec({ kind: 'bench', modelId: m.id, deviceName: 'local', latency: QUICK }))
      await studio.runAndWait(runSpec({ kind: 'eval', modelId: m.id, deviceName: 'local', limit: 200 }))
    }
    server = await startServer({ studio, rendererDir: RENDERER_OUT })
    browser = await launchChromium()
    // bypassCSP: the studio's CSP forbids injected scripts, axe-core is one.
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true })).newPage()
    page.setDefaultTimeout(120_000)
    await page.goto(server.url)
    await page.getByRole('heading', { name: 'Models', exact: true }).first().waitFor()
  }, 600_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await server?.close().catch(() => undefined)
    await studio?.close().catch(() => undefined)
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('finds no serious or critical violation on any view, in light and dark', async () => {
    const found: string[] = []
    const views: [string, string][] = [
      ['/devices', 'Devices'],
      ['/models', 'Models'],
      ['/benchmarks', 'Benchmarks'],
      ['/explore', 'Explore'],
      ['/compare', 'Compare'],
      ['/reports', 'Reports'],
      ['/recommend', 'Recommend'],
    ]
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      for (const [hash, heading] of views) {
        await go(hash, heading)
        found.push(...(await axe(`${heading} (${scheme})`)))
      }
    }
    await page.emulateMedia({ colorScheme: 'light' })
    // Explore with its data table open, and Compare with two entries selected.
    await go('/explore', 'Explore')
    await page.getByTestId('explore-table-toggle').click()
    await page.getByTestId('explore-table').waitFor()
    found.push(...(await axe('Explore data table')))
    await go('/benchmarks', 'Benchmarks')
    await page.getByTestId('finished-runs').locator('thead .p-checkbox').first().click()
    await go('/compare', 'Compare')
    await page.getByTestId('compare-table').waitFor()
    found.push(...(await axe('Compare table')))
    expect(found).toEqual([])
  }, 300_000)

  it('the early-exit panel passes axe, empty and with a measured sweep', async () => {
    await go('/models', 'Models')
    await page.getByTestId('model-tree').getByText('resnet8-ee', { exact: true }).first().click()
    const panel = page.getByTestId('early-exit-panel')
    await panel.getByText('No early-exit sweep yet').waitFor()
    const found = await axe('Early-exit panel (empty)')
    await page.locator('#ee-thresholds').fill('0.5, 0.9')
    await page.locator('#ee-limit').fill('100')
    await page.locator('#ee-limit').press('Tab')
    await page.getByTestId('ee-measure').click()
    await expect.poll(() => page.getByTestId('ee-table').locator('tbody tr').count(), { timeout: 180_000 }).toBe(2)
    await page.getByTestId('ee-chart-latency').locator('canvas').waitFor()
    // The job's toast is part of the page now; judge it fully shown, not halfway through its fade-in.
    const toast = page.locator('.p-toast-message').first()
    await toast.waitFor()
    await expect.poll(() => page.evaluate(`getComputedStyle(document.querySelector('.p-toast-message')).opacity`)).toBe('1')
    await page.waitForTimeout(300)
    found.push(...(await axe('Early-exit panel (sweep)')))
    expect(found).toEqual([])
  }, 300_000)

  it('opens a finished run from the keyboard, and the drawer passes axe', async () => {
    await go('/benchmarks', 'Benchmarks')
    const open = page.getByTestId('open-run').first()
    await open.focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('run-drawer').waitFor()
    await page.waitForTimeout(500)
    expect(await axe('run drawer')).toEqual([])
    await page.keyboard.press('Escape')
    await page.getByTestId('run-drawer').waitFor({ state: 'detached' })
  }, 180_000)

  it('lays every dialog out inside its frame at 1280 and 1440 px, and each passes axe', async () => {
    const found: string[] = []
    for (const [width, height] of [
      [1280, 800],
      [1440, 900],
    ] as const) {
      await page.setViewportSize({ width, height })
      await go('/devices', 'Devices')
      await page.getByTestId('add-ssh-board').click()
      await checkDialog('add-ssh-board', width)
      found.push(...(await axe(`Add SSH board at ${width}`)))
      await closeDialog()
      await page.getByTestId('add-serial-board').click()
      await checkDialog('add-serial-board', width)
      // The Add button stays in view (it was hidden beyond the frame at 1440 px).
      await page.getByTestId('serial-save').waitFor({ state: 'visible' })
      found.push(...(await axe(`Add serial board at ${width}`)))
      await closeDialog()
      await go('/models', 'Models')
      await page.getByTestId('model-tree').getByText('resnet8', { exact: true }).first().click()
      await page.getByTestId('open-derive').click()
      await checkDialog('derive-variant', width)
      found.push(...(await axe(`Derive variant at ${width}`)))
      await closeDialog()
      await page.getByTestId('open-sweep').click()
      await checkDialog('sweep', width)
      found.push(...(await axe(`Sweep at ${width}`)))
      await closeDialog()
    }
    expect(found).toEqual([])
  }, 300_000)
})
