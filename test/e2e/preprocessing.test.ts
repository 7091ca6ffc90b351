/**
 * A user's own model in a real browser: imported through the import dialog with a preset chosen
 * (Debian's Chromium via playwright-core, browser mode on a temp database), evaluated from the
 * Benchmarks form, and the top-1 compared with `edgebench eval` given the same preset on the
 * command line. Then the Models view's editor refuses a bad value with one line, and the run drawer
 * names the preprocessing used. Screenshots land in test-results/screenshots/.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EvalResult } from '../../common/types.js'
import { startServer, type RunningServer } from '../../main/server/server.js'
import { Studio } from '../../main/studio.js'
import { chromiumPolicy, launchChromium } from './chromium.js'
import { ensureRendererBuilt, RENDERER_OUT, ROOT } from './renderer-build.js'

const policy = chromiumPolicy()
const SLOW = { timeout: 120_000, interval: 250 }
const SHOTS = join(ROOT, 'test-results/screenshots')
/** A Keras/tf2onnx-style model: NHWC RGB in [-1, 1]; near chance unless fed with that preset. */
const FIXTURE = join(ROOT, 'test/fixtures/exporters/keras-nhwc-rgb.onnx')

if (policy === 'fail') {
  describe('preprocessing e2e', () => {
    it('needs Chromium', () => {
      throw new Error('CI: no Chromium. Install it (apt-get install chromium) so the e2e suite can run.')
    })
  })
}

describe.skipIf(policy !== 'ok')('preprocessing e2e (browser mode, Chromium)', () => {
  let dir = ''
  let model = ''
  let studio: Studio
  let server: RunningServer
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`) })

  beforeAll(async () => {
    await ensureRendererBuilt()
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'edgebench-e2e-pp-'))
    model = join(dir, 'my-keras-model.onnx')
    copyFileSync(FIXTURE, model)
    studio = Studio.open({ dbPath: join(dir, 'studio.db') })
    server = await startServer({ studio, rendererDir: RENDERER_OUT })
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage()
    page.setDefaultTimeout(120_000)
    page.setDefaultNavigationTimeout(180_000)
    page.on('pageerror', (e) => pageErrors.push(e.message))
  }, 600_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await server?.close().catch(() => undefined)
    await studio?.close().catch(() => undefined)
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('imports with the [-1, 1] preset and scores what the CLI scores with --preset symmetric', async () => {
    await page.goto(server.url)
    await page.getByRole('heading', { name: 'Models' }).waitFor()
    await page.locator('input[type=file][aria-label="Import ONNX model files"]').setInputFiles([model])
    const dialog = page.getByTestId('import-dialog')
    await dialog.waitFor()
    await page.getByLabel('Preprocessing', { exact: true }).click()
    await page.getByRole('option', { name: '[-1, 1]' }).click()
    await shot('import-dialog')
    await page.getByTestId('import-confirm').click()
    await dialog.waitFor({ state: 'detached' })
    const tree = page.getByTestId('model-tree')
    await tree.getByText('my-keras-model').waitFor()
    await expect.poll(() => tree.locator('tr', { hasText: 'my-keras-model' }).textContent(), SLOW).toContain('[-1, 1]')

    await page.keyboard.press('3')
    await page.getByRole('heading', { name: 'Benchmarks' }).waitFor()
    await page.getByTestId('bench-models').getByText('my-keras-model').click()
    await page.locator('#bench-runs').fill('20')
    await page.locator('#bench-seconds').fill('0.2')
    await page.locator('#bench-warmup').fill('2')
    await page.locator('#bench-dataset').click()
    await page.getByRole('option', { name: 'Fashion-MNIST' }).click()
    await page.locator('#bench-limit').fill('10000')
    await page.locator('#bench-limit').press('Tab')
    await page.getByTestId('bench-run').click()
    const finished = page.getByTestId('finished-runs')
    await expect.poll(() => finished.getByText('finished', { exact: true }).count(), { timeout: 300_000, interval: 500 }).toBe(2)
    const ui = studio.store.listRuns({ kind: 'eval' })[0]?.result as EvalResult
    expect(ui.count).toBe(10_000)

    // The same file evaluated by the CLI with the same preset, on its own database.
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin/edgebench.mjs'), '--db', join(dir, 'cli.db'), 'eval', model, '--dataset', 'fashion-mnist', '--preset', 'symmetric', '--json'], { encoding: 'utf8', timeout: 300_000 })
    expect(cli.status, cli.stderr).toBe(0)
    const byCli = JSON.parse(cli.stdout) as EvalResult
    expect(ui.top1).toBe(byCli.top1)
    expect(ui.top1).toBeGreaterThan(0.5)
    expect(ui.warnings ?? []).toEqual([])

    // The run drawer names the preprocessing the figure was made with.
    await finished.locator('tbody tr').filter({ hasText: 'eval' }).first().locator('td').nth(2).click()
    const drawer = page.getByTestId('run-drawer')
    await expect.poll(() => drawer.getByTestId('run-preprocessing').textContent(), SLOW).toContain('[-1, 1]')
    await page.waitForTimeout(600)
    await shot('run-drawer-preprocessing')
    await page.keyboard.press('Escape')
    await drawer.waitFor({ state: 'detached' })
  }, 600_000)

  it("the Models view's editor refuses a mean that does not fit the channels with one line, and keeps the preset", async () => {
    await page.keyboard.press('2')
    await page.getByRole('heading', { name: 'Models' }).waitFor()
    await page.getByTestId('model-tree').getByText('my-keras-model').click()
    await page.getByTestId('open-preprocessing').click()
    const editor = page.getByTestId('preprocessing-dialog')
    await editor.waitFor()
    await page.getByLabel('Preprocessing', { exact: true }).click()
    await page.getByRole('option', { name: 'Custom values' }).click()
    await page.getByLabel('Mean', { exact: true }).fill('0.5, 0.5')
    await page.getByTestId('pp-save').click()
    const error = editor.getByTestId('error-notice')
    await error.waitFor()
    expect(await error.textContent()).toContain('mean has 2 values but input')
    await shot('preprocessing-editor-error')
    await page.keyboard.press('Escape')
    const row = studio.store.listModels().find((m) => m.name === 'my-keras-model')
    expect(row?.preprocess?.settings.mean).toEqual([0.5])
    expect(pageErrors).toEqual([])
  }, 300_000)
})
