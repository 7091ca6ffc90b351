/**
 * Renders report.html in Debian's headless Chromium, offline, and checks that Chart.js ran under the
 * report's CSP and drew a canvas. Skipped — loudly — where Chromium is not installed.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumPdf, rowsFromResults, writeReport } from '../../main/report/index.js'
import type { ReportRow } from '../../main/report/rows.js'
import { pdfText } from './pdf-text.js'
import { bench, device, evaluation, inspect, sampleItems, XSS_NAME } from './sample-results.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
if (!CHROMIUM) console.warn('SKIPPED: report rendering test — no Chromium at /usr/bin/chromium(-browser).')

function dumpDom(file: string, profile: string): Promise<{ dom: string; log: string }> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--enable-logging=stderr',
    '--v=0',
    '--window-size=1200,1600',
    '--virtual-time-budget=5000',
    '--dump-dom',
    pathToFileURL(file).href,
  ]
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM ?? 'chromium',
      args,
      { timeout: 45_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && !stdout) reject(err)
        else resolve({ dom: stdout, log: stderr })
      },
    )
  })
}

describe.skipIf(!CHROMIUM)('report.html in headless Chromium', () => {
  it('runs Chart.js under the CSP and draws a canvas of nonzero size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgebench-chromium-'))
    try {
      const paths = await writeReport(join(dir, 'out'), rowsFromResults(sampleItems()), {
        title: 'Chromium check',
        generatedAt: '2026-01-01T00:00:00.000Z',
        env: device('this computer'),
      })
      const { dom, log } = await dumpDom(paths.html, join(dir, 'profile'))
      expect(log).not.toMatch(/Content Security Policy/)
      expect(log).not.toMatch(/Uncaught/)
      for (const id of ['latency', 'size', 'memory']) expect(dom).toContain(`data-chart-id="${id}" data-chart="ready"`)
      // Each chart is also an image (what print and PDF show).
      expect(dom.match(/<img class="chart-img"[^>]* src="data:image\/png;base64,/g)).toHaveLength(3)
      const canvas = /<canvas id="chart-latency"[^>]*>/.exec(dom)?.[0] ?? ''
      const width = Number(/ width="(\d+)"/.exec(canvas)?.[1] ?? 0)
      const height = Number(/ height="(\d+)"/.exec(canvas)?.[1] ?? 0)
      expect(width).toBeGreaterThan(100)
      expect(height).toBeGreaterThan(100)
      // The hostile model name is still text after the browser parsed the page.
      expect(dom).not.toMatch(/<img src="?x/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/**
 * Interaction through playwright-core driving the same Chromium: hover shows the precomputed
 * tooltip, header clicks sort by raw value with unmeasured rows last. Page code is passed as strings
 * because the node-side TS project has no DOM types.
 */
describe.skipIf(!CHROMIUM)('report.html interaction (playwright-core)', () => {
  let dir = ''
  let url = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgebench-pw-'))
    const paths = await writeReport(dir, rowsFromResults(sampleItems()), {
      title: 'Interaction check',
      generatedAt: '2026-01-01T00:00:00.000Z',
    })
    url = pathToFileURL(paths.html).href
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('shows a tooltip on hover and sorts the table by latency, unmeasured rows last', async () => {
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } })
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text())
      })
      await page.goto(url)
      await page.waitForSelector('body[data-report="ready"]')

      const pos = await page.evaluate<{ x: number; y: number }>(`(() => {
        const canvas = document.getElementById('chart-latency')
        const el = Chart.getChart(canvas).getDatasetMeta(0).data[0]
        const r = canvas.getBoundingClientRect()
        return { x: r.left + el.x, y: r.top + el.y }
      })()`)
      await page.mouse.move(pos.x, pos.y)
      await page.waitForFunction(`Chart.getChart(document.getElementById('chart-latency')).tooltip.opacity > 0`)
      const lines = await page.evaluate<string[]>(
        `Chart.getChart(document.getElementById('chart-latency')).tooltip.body.flatMap((b) => b.lines)`,
      )
      expect(lines).toEqual([
        'resnet8 · fp32 · this computer',
        'p50 182 µs (p90 197 µs)',
        '92.1 % top-1 · Fashion-MNIST test · 10,000',
        'peak RSS 6.20 MiB · file 307 KiB · 3.12 M MACs',
      ])

      const models = (): Promise<(string | null)[]> =>
        page.$$eval('#results tbody td.model', (tds) => tds.map((td) => td.textContent))
      const grouped = await models()
      await page.click('#results th:nth-child(4) button')
      const asc = await models()
      expect(asc.slice(0, 2)).toEqual(['tiny-cnn', XSS_NAME])
      expect(asc.at(-1)).toBe('mobilenet-fp16')
      // Sorted rows leave their lineage: the group headers hide.
      expect(await page.locator('#results tr.group:visible').count()).toBe(0)
      await page.click('#results th:nth-child(4) button')
      const desc = await models()
      expect(desc[0]).toBe('resnet8')
      expect(desc.at(-1)).toBe('mobilenet-fp16')
      expect(await page.getAttribute('#results th:nth-child(4)', 'aria-sort')).toBe('descending')
      // A third click goes back to the rows grouped by lineage.
      await page.click('#results th:nth-child(4) button')
      expect(await models()).toEqual(grouped)
      expect(await page.locator('#results tr.group:visible').count()).toBeGreaterThan(0)
      expect(errors).toEqual([])
    } finally {
      await browser.close()
    }
  })
})

/** Many rows, long names: the case where a scroll box used to cut the printed table to a few rows. */
function manyRows(n: number): ReportRow[] {
  const host = device('this computer')
  return rowsFromResults(
    Array.from({ length: n }, (_, i) => ({
      model: `zoo-model-${String(i).padStart(3, '0')}`,
      family: `family-${i % 5}`,
      ...(i % 4 === 0 ? {} : { parent: `zoo-model-${String(i - (i % 4)).padStart(3, '0')}`, recipe: 'INT8 static · minmax' }),
      inspect: inspect(10_000 + i * 100),
      bench: bench(`m${i}`, host, 100 + i * 7, i % 9 === 0 ? 0.2 : 0.03),
      eval: evaluation(`m${i}`, 0.8 + (i % 17) / 100),
    })),
  )
}

describe.skipIf(!CHROMIUM)('report.pdf (Chromium print)', () => {
  it('holds every result row, every chart as an image and the warnings, on landscape pages', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgebench-pdf-'))
    try {
      const rows = manyRows(60)
      const paths = await writeReport(dir, rows, { title: 'PDF check', generatedAt: '2026-01-01T00:00:00.000Z', env: device('this computer') }, { pdf: chromiumPdf })
      expect(paths.pdf).toBeDefined()
      const pages = await pdfText(paths.pdf ?? '')
      const text = pages.join('\n')
      for (const r of rows) expect(text).toContain(r.model)
      expect(text).toContain('Accuracy vs latency')
      expect(text).toContain('Warnings')
      expect(text).toContain('Environment')
      // Sections start on a new page: the results table is not on the charts' first page.
      expect(pages[0]).not.toContain('zoo-model-059')
      expect(pages.length).toBeGreaterThanOrEqual(3)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 180_000)
})
