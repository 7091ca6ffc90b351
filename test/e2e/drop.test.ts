/**
 * Models dropped onto any view are imported (desktop expectation, also in browser mode): a real
 * drag-and-drop of an .onnx file onto the Devices view in Chromium shows the drop overlay, imports
 * the model into the store and opens Models with it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../main/server/server.js'
import { Studio } from '../../main/studio.js'
import { chromiumPolicy, launchChromium } from './chromium.js'
import { ensureRendererBuilt, RENDERER_OUT, ROOT } from './renderer-build.js'

const SLOW = { timeout: 90_000, interval: 250 }
const MODEL = join(ROOT, 'test/fixtures/data/fmnist-logreg-nchw.onnx')

describe.skipIf(chromiumPolicy() !== 'ok')('dropping models on any view', () => {
  let dir = ''
  let studio: Studio
  let server: RunningServer
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    await ensureRendererBuilt()
    dir = mkdtempSync(join(tmpdir(), 'edgebench-drop-'))
    studio = Studio.open({ dbPath: join(dir, 'studio.db') })
    server = await startServer({ studio, rendererDir: RENDERER_OUT })
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
    page.setDefaultTimeout(120_000)
  }, 600_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await studio?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  /** Fires dragenter (and dragover) or drop with a DataTransfer holding the file, on `selector`. */
  async function drag(selector: string, types: string[]): Promise<void> {
    await page.evaluate(
      ({ selector, types, b64, name }) => {
        // Runs in the page; this file is typed for Node, so the DOM is reached through globalThis.
        const w = globalThis as unknown as {
          DataTransfer: new () => { items: { add(f: File): void } }
          DragEvent: new (type: string, init: object) => Event
          document: { querySelector(s: string): EventTarget | null }
        }
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
        const dt = new w.DataTransfer()
        dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }))
        const target = w.document.querySelector(selector)
        if (!target) throw new Error(`no ${selector}`)
        for (const type of types) target.dispatchEvent(new w.DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }))
      },
      { selector, types, b64: readFileSync(MODEL).toString('base64'), name: 'fmnist-logreg-nchw.onnx' },
    )
  }

  it('imports an .onnx file dropped on the Devices view and shows it on Models', async () => {
    await page.goto(server.url)
    await expect.poll(() => page.url(), SLOW).not.toContain('token=')
    await page.getByRole('heading', { name: 'Models' }).waitFor()
    await page.evaluate(() => {
      ;(globalThis as unknown as { location: { hash: string } }).location.hash = '#/devices'
    })
    await page.getByRole('heading', { name: 'Devices' }).waitFor()
    await drag('main', ['dragenter', 'dragover'])
    await page.getByTestId('drop-overlay').waitFor()
    await drag('main', ['drop'])
    await expect.poll(() => studio.store.listModels().map((m) => m.name), SLOW).toContain('fmnist-logreg-nchw')
    await expect.poll(() => page.url(), SLOW).toContain('#/models')
    await page.getByTestId('model-tree').getByText('fmnist-logreg-nchw').waitFor()
    expect(await page.getByTestId('drop-overlay').count()).toBe(0)
  }, 300_000)
})
