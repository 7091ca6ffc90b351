/**
 * The Early-exit panel in a real browser (browser mode, Debian's Chromium): a sweep of resnet8-ee
 * measured on this computer from the panel, the threshold slider driven by the keyboard (exit
 * rate, confusion matrix), an operating point added to Explore. Screenshots in
 * test-results/screenshots/early-exit*.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../main/server/server.js'
import { Studio } from '../../main/studio.js'
import { chromiumPolicy, launchChromium } from './chromium.js'
import { ensureRendererBuilt, RENDERER_OUT, ROOT } from './renderer-build.js'

const policy = chromiumPolicy()
const SLOW = { timeout: 300_000, interval: 500 }
const SHOTS = join(ROOT, 'test-results/screenshots')

describe.skipIf(policy !== 'ok')('Early-exit panel (browser mode, Chromium)', () => {
  let dir = ''
  let studio: Studio
  let server: RunningServer
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    await ensureRendererBuilt()
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'edgebench-e2e-ee-'))
    studio = Studio.open({ dbPath: join(dir, 'studio.db') })
    await studio.ensureZoo()
    server = await startServer({ studio, rendererDir: RENDERER_OUT })
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage()
    page.setDefaultTimeout(120_000)
    page.setDefaultNavigationTimeout(180_000)
    page.on('pageerror', (e) => pageErrors.push(e.message))
  }, 600_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await studio?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('shows the panel only for a model with an exit', async () => {
    await page.goto(server.url)
    const tree = page.getByTestId('model-tree')
    await tree.getByText('resnet8', { exact: true }).first().click()
    await page.getByTestId('inspect-panel').waitFor()
    // Give the plan request its time, then check the panel stayed away.
    await page.waitForTimeout(1500)
    expect(await page.getByTestId('early-exit-panel').count()).toBe(0)
    await tree.getByText('resnet8-ee', { exact: true }).first().click()
    const panel = page.getByTestId('early-exit-panel')
    await panel.waitFor()
    await panel.getByText('No early-exit sweep yet').waitFor()
    await expect.poll(() => panel.textContent()).toMatch(/exit1\s*stops after 3\.85 M MACs \(40\.7 %\)/)
  }, 300_000)

  it('measures a sweep from the panel and moves through it with the keyboard', async () => {
    const panel = page.getByTestId('early-exit-panel')
    await page.locator('#ee-thresholds').fill('0.5, 0.9, 1')
    await page.locator('#ee-limit').fill('200')
    await page.locator('#ee-limit').press('Tab')
    await page.getByTestId('ee-measure').click()
    const rows = page.getByTestId('ee-table').locator('tbody tr')
    await expect.poll(() => rows.count(), SLOW).toBe(3)
    await page.getByTestId('ee-chart-macs').locator('canvas').waitFor()
    await page.getByTestId('ee-chart-latency').locator('canvas').waitFor()
    expect(await panel.getByTestId('ee-summary').textContent()).toMatch(/Full model: top-1 \d+\.\d+ %/)

    const slider = page.getByTestId('ee-slider')
    await slider.focus()
    await page.keyboard.press('Home')
    await expect.poll(() => page.getByTestId('ee-point').textContent()).toMatch(/t = 0\.5 · exit rate \d/)
    const first = await panel.getByTestId('confusion-matrix').textContent()
    await page.keyboard.press('End')
    await expect.poll(() => page.getByTestId('ee-point').textContent()).toMatch(/t = 1 · exit rate 0\.0 %/)
    expect(await panel.getByTestId('confusion-matrix').textContent()).not.toBe(first)
    expect(await slider.getAttribute('aria-valuetext')).toMatch(/^t = 1: exit rate 0\.0 %/)
    await panel.screenshot({ path: join(SHOTS, 'early-exit-panel.png') })
  }, 400_000)

  it('adds an operating point to Explore as a variant', async () => {
    await page.getByLabel('Add t = 0.9 to Explore').check()
    await page.getByTestId('ee-add').click()
    await page.getByText(/Added .*resnet8-ee @ t=0\.9/).waitFor()
    await page.locator('body').click({ position: { x: 2, y: 900 } })
    await page.keyboard.press('4')
    await page.getByRole('heading', { name: 'Explore' }).waitFor()
    await expect
      .poll(() => page.getByTestId('explore-count').textContent(), SLOW)
      .toMatch(/^[1-9]\d* plotted/)
    await page.screenshot({ path: join(SHOTS, 'early-exit-explore.png') })
    expect(pageErrors).toEqual([])
  }, 300_000)
})
