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
import { describe, expect, it } from 'vitest'
import { rowsFromResults, writeReport } from '../../main/report/index.js'
import { device, sampleItems } from './sample-results.js'

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
      expect(dom).toMatch(/<figure id="chart-figure" data-chart="ready">/)
      const canvas = /<canvas id="scatter"[^>]*>/.exec(dom)?.[0] ?? ''
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
