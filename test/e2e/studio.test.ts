/**
 * The studio in a real browser: browser mode started in-process on a temp database, Debian's
 * Chromium driven by playwright-core. One user journey: import → inspect → benchmark with live
 * progress → Explore point → run drawer → Compare → CSV export; a screenshot of every view lands
 * in test-results/screenshots/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../main/server/server.js'
import { Studio } from '../../main/studio.js'
import { chromiumPolicy, CHROMIUM_PATH, launchChromium } from './chromium.js'
import { ensureRendererBuilt, RENDERER_OUT, ROOT } from './renderer-build.js'

const policy = chromiumPolicy()
/**
 * Generous waits: on a 2-core machine shared with training jobs a page load alone has taken 30 s
 * (main-thread CPU ≈ 0.3 s); the steps stay the same, only the patience grows.
 */
const SLOW = { timeout: 90_000, interval: 250 }
const SHOTS = join(ROOT, 'test-results/screenshots')
const MODEL_A = join(ROOT, 'test/fixtures/data/fmnist-logreg-nchw.onnx')
const MODEL_B = join(ROOT, 'test/fixtures/data/fmnist-logreg-nhwc.onnx')

if (policy === 'fail') {
  describe('studio e2e', () => {
    it('needs Chromium', () => {
      throw new Error(
        `CI: no Chromium at ${CHROMIUM_PATH}. Install it (apt-get install chromium) so the e2e suite can run.`,
      )
    })
  })
}

describe.skipIf(policy !== 'ok')('studio e2e (browser mode, Chromium)', () => {
  let dir = ''
  let studio: Studio
  let server: RunningServer
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false })
  }
  const key = async (k: string): Promise<void> => {
    await page.locator('body').click({ position: { x: 2, y: 600 } })
    await page.keyboard.press(k)
  }

  beforeAll(async () => {
    await ensureRendererBuilt()
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'edgebench-e2e-'))
    studio = Studio.open({ dbPath: join(dir, 'studio.db') })
    await studio.ensureZoo() // as browser mode and the desktop app do on start
    server = await startServer({ studio, rendererDir: RENDERER_OUT })
    browser = await launchChromium()
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      acceptDownloads: true,
    })
    page = await context.newPage()
    page.setDefaultTimeout(120_000)
    page.setDefaultNavigationTimeout(180_000)
    page.on('pageerror', (e) => pageErrors.push(e.message))
  }, 600_000)

  afterAll(async () => {
    // Each step is bounded: a close that hangs must be reported, not stall the whole suite.
    const bounded = async (what: string, p: Promise<unknown> | undefined): Promise<void> => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<string>((r) => (timer = setTimeout(() => r(what), 15_000)))
      const hung = await Promise.race([Promise.resolve(p).then(() => null), late])
      clearTimeout(timer)
      if (hung) process.stderr.write(`e2e teardown: ${hung} did not finish within 15 s\n`)
    }
    await bounded('browser.close()', browser?.close())
    await bounded('server.close()', server?.close())
    await bounded('studio.close()', studio?.close())
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('opens on Models with the zoo, imports models by the file picker and inspects one', async () => {
    await page.goto(server.url)
    await expect.poll(() => page.url(), SLOW).not.toContain('token=')
    await page.getByRole('heading', { name: 'Models' }).waitFor()
    for (const name of ['resnet8', 'mobilenetv2', 'shufflenetv2', 'ghostnet']) {
      await page.getByTestId('model-tree').getByText(name, { exact: true }).first().waitFor()
    }
    await page.locator('input[type=file]').setInputFiles([MODEL_A, MODEL_B])
    // The import dialog asks how to feed them; the model's own (card/metadata, else [0, 1]) is the default.
    await page.getByTestId('import-confirm').click()
    const tree = page.getByTestId('model-tree')
    await tree.getByText('fmnist-logreg-nchw').waitFor()
    await tree.getByText('fmnist-logreg-nhwc').waitFor()
    await tree.getByText('fmnist-logreg-nchw').click()
    await page.getByTestId('layer-table').waitFor()
    expect(await page.getByTestId('layer-table').locator('tbody tr').count()).toBeGreaterThan(0)
    await shot('models')
  }, 300_000)

  it('shows this computer on Devices', async () => {
    await key('1')
    await page.getByRole('heading', { name: 'Devices' }).waitFor()
    await page.getByTestId('devices-table').getByText('local', { exact: true }).first().waitFor()
    await shot('devices')
  }, 120_000)

  it('benchmarks two models on this computer and shows progress up to 100 %', async () => {
    await key('3')
    await page.getByRole('heading', { name: 'Benchmarks' }).waitFor()
    const models = page.getByTestId('bench-models')
    await models.getByText('fmnist-logreg-nchw').click()
    await models.getByText('fmnist-logreg-nhwc').click()
    await page.locator('#bench-runs').fill('60')
    await page.locator('#bench-seconds').fill('0.5')
    await page.locator('#bench-warmup').fill('5')
    await page.locator('#bench-warmup').press('Tab')
    await expect
      .poll(() => page.getByTestId('bench-estimate').textContent(), SLOW)
      .toContain('2 model × device pair(s)')
    // Record every percentage the queue shows (runs leave the queue as soon as they finish).
    await page.evaluate(`(() => {
      window.seenPercents = []
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid=run-percent]')) window.seenPercents.push(Number.parseFloat(el.textContent ?? ''))
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
    })()`)
    await page.getByTestId('bench-run').click()
    // On a fast machine both runs may be over before the queue is drawn; the screenshot is a bonus.
    await page
      .getByTestId('run-queue')
      .waitFor({ timeout: 20_000 })
      .then(() => shot('benchmarks-running'))
      .catch(() => undefined)
    const finished = page.getByTestId('finished-runs')
    await expect
      .poll(async () => finished.getByText('finished', { exact: true }).count(), {
        timeout: 240_000,
        interval: 500,
      })
      .toBe(2)
    const seen = (await page.evaluate('window.seenPercents')) as number[]
    expect(seen.length).toBeGreaterThan(0)
    expect(Math.max(...seen)).toBe(100)
    await shot('benchmarks')
  }, 400_000)

  it('adds an accuracy run and shows the model as a point on Explore', async () => {
    const models = page.getByTestId('bench-models')
    // Untick the second model: accuracy for the first only.
    await models.getByText('fmnist-logreg-nhwc').click()
    await page.locator('#bench-dataset').click()
    await page.getByRole('option', { name: 'Fashion-MNIST' }).click()
    await page.locator('#bench-limit').fill('300')
    await page.locator('#bench-limit').press('Tab')
    await page.getByTestId('bench-run').click()
    const finished = page.getByTestId('finished-runs')
    await expect
      .poll(async () => finished.getByText('finished', { exact: true }).count(), {
        timeout: 240_000,
        interval: 500,
      })
      .toBe(4)
    expect(await finished.getByText('failed', { exact: true }).count()).toBe(0)

    await key('4')
    await page.getByRole('heading', { name: 'Explore' }).waitFor()
    await page.getByTestId('explore-chart').locator('canvas').waitFor()
    await expect
      .poll(() => page.getByTestId('explore-count').textContent(), SLOW)
      .toMatch(/^[1-9]\d* plotted of \d+/)
    // A filter chip hides the device's points and brings them back, on the same canvas.
    const chip = page.getByTestId('chip-device-local')
    await chip.click()
    await expect.poll(() => page.getByTestId('explore-count').textContent(), SLOW).toMatch(/^0 plotted/)
    await chip.click()
    await expect
      .poll(() => page.getByTestId('explore-count').textContent(), SLOW)
      .toMatch(/^[1-9]\d* plotted/)
    expect(await page.getByTestId('explore-chart').locator('canvas').count()).toBe(1)
    await shot('explore')
    await page.emulateMedia({ colorScheme: 'dark' })
    await shot('explore-dark')
    await page.emulateMedia({ colorScheme: 'light' })
  }, 400_000)

  it('opens a run in the drawer with its latency histogram', async () => {
    await key('3')
    const finished = page.getByTestId('finished-runs')
    await finished.locator('tbody tr').filter({ hasText: 'bench' }).first().locator('td').nth(2).click()
    const drawer = page.getByTestId('run-drawer')
    await drawer.getByTestId('latency-histogram').waitFor()
    await page.waitForTimeout(600) // let the drawer finish sliding in
    await shot('run-drawer')
    await page.keyboard.press('Escape')
    await drawer.waitFor({ state: 'detached' })
  }, 180_000)

  it('compares the two benchmark runs with a verdict', async () => {
    const finished = page.getByTestId('finished-runs')
    const benchRows = finished.locator('tbody tr').filter({ hasText: 'bench' })
    expect(await benchRows.count()).toBeGreaterThanOrEqual(2)
    for (const i of [0, 1])
      await benchRows.nth(i).locator('td').first().locator('input, .p-checkbox').first().click()
    await key('5')
    await page.getByRole('heading', { name: 'Compare' }).waitFor()
    const table = page.getByTestId('compare-table')
    await table.waitFor()
    expect(['faster', 'slower', 'within noise']).toContain(
      (await table.getByTestId('verdict').first().textContent())?.trim(),
    )
    await shot('compare')
  }, 180_000)

  it('exports the selection as CSV (a download in browser mode)', async () => {
    await key('6')
    await page.getByRole('heading', { name: 'Reports' }).waitFor()
    await page.locator('#report-format').click()
    await page.getByRole('option', { name: /^CSV/ }).click()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('report-export').click(),
    ])
    expect(download.suggestedFilename()).toMatch(/\.csv$/)
    const csv = readFileSync(await download.path(), 'utf8')
    expect(csv.split('\n')[0]).toMatch(/model/i)
    expect(csv).toContain('fmnist-logreg-nchw')
    await page.getByTestId('report-status').waitFor()
    await shot('reports')
    expect(pageErrors).toEqual([])
  }, 180_000)
})
