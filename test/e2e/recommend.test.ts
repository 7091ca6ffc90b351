/**
 * The Recommend panel in a real browser (browser mode in-process, Debian's Chromium): limits typed
 * with their units, the answer card, what the rejected break, and the limits drawn on Explore. The
 * store holds generated runs (test/recommend/synthetic-store.ts), real SQLite.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../main/server/server.js'
import { Store } from '../../main/store/store.js'
import { Studio } from '../../main/studio.js'
import { populate } from '../recommend/synthetic-store.js'
import { chromiumPolicy, launchChromium } from './chromium.js'
import { ensureRendererBuilt, RENDERER_OUT, ROOT } from './renderer-build.js'

const policy = chromiumPolicy()
const SLOW = { timeout: 90_000, interval: 250 }
const SHOTS = join(ROOT, 'test-results/screenshots')

describe.skipIf(policy !== 'ok')('Recommend panel (browser mode, Chromium)', () => {
  let dir = ''
  let studio: Studio
  let server: RunningServer
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    await ensureRendererBuilt()
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'edgebench-e2e-recommend-'))
    const db = join(dir, 'studio.db')
    const store = Store.open(db)
    populate(store, { roots: 12, variantsPerRoot: 2, runs: 200, samplesPerBench: 20, seed: 5, devices: [{ name: 'local', kind: 'local' }] })
    store.close()
    studio = Studio.open({ dbPath: db })
    server = await startServer({ studio, rendererDir: RENDERER_OUT })
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage()
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

  it('types limits with units, gets the answer and what the others break', async () => {
    await page.goto(server.url)
    await page.getByRole('heading', { name: 'Models' }).waitFor()
    await page.locator('body').click({ position: { x: 2, y: 600 } })
    await page.keyboard.press('7')
    await page.getByRole('heading', { name: 'Recommend' }).waitFor()
    // The generated store evaluated on two datasets: the panel says so and how to fix it.
    await expect.poll(() => page.locator('body').textContent(), SLOW).toMatch(/use 2 datasets .*Choose one with --dataset/)
    await page.getByLabel('Accuracy on').click()
    await page.getByRole('option', { name: 'fashion-mnist' }).click()
    await page.getByLabel('Max latency', { exact: true }).fill('5')
    await page.getByLabel('Min top-1 (%)').fill('80')
    await page.getByLabel('Min top-1 (%)').press('Enter')
    const card = page.getByTestId('recommend-choice')
    await expect.poll(() => card.textContent(), SLOW).toMatch(/Put net\d+/)
    expect(await card.textContent()).toMatch(/p50/)
    await expect.poll(() => page.getByTestId('recommend-rejected').textContent(), SLOW).toMatch(/latency p50 .* > 5\.00 ms|top-1 .* < 80\.00 %/)
    await page.screenshot({ path: join(SHOTS, 'recommend.png') })
  }, 300_000)

  it('draws the limits on Explore and says so in words', async () => {
    await page.locator('body').click({ position: { x: 2, y: 880 } })
    await page.keyboard.press('4')
    await page.getByRole('heading', { name: 'Explore' }).waitFor()
    await page.getByTestId('explore-chart').locator('canvas').waitFor()
    await expect
      .poll(() => page.getByTestId('explore-constraints').textContent(), SLOW)
      .toBe('Recommend constraints drawn as dashed lines: latency p50 ≤ 5.00 ms, top-1 ≥ 80.0 %.')
    await page.screenshot({ path: join(SHOTS, 'explore-constraints.png') })
    expect(pageErrors).toEqual([])
  }, 180_000)
})
