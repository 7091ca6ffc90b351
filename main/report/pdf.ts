/**
 * report.html → PDF with a headless Chromium driven by playwright-core (the CLI and browser mode;
 * the desktop app prints with Electron's own printToPDF instead). The page is printed exactly as a
 * person printing it would get it: print styles, light colours, charts as images, every row.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { StudioError, toStudioError } from '../../common/errors.js'

/** Turns a self-contained HTML report into PDF bytes. */
export type PdfRenderer = (html: string, signal?: AbortSignal) => Promise<Uint8Array>

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable']

/** The Chromium to print with: EDGEBENCH_CHROMIUM, else the usual Linux paths; null when none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const given = env.EDGEBENCH_CHROMIUM
  if (given) return existsSync(given) ? given : null
  return CANDIDATES.find((p) => existsSync(p)) ?? null
}

export function noChromiumError(env: NodeJS.ProcessEnv = process.env): StudioError {
  const where = env.EDGEBENCH_CHROMIUM ? `at ${env.EDGEBENCH_CHROMIUM} (EDGEBENCH_CHROMIUM)` : `at ${CANDIDATES[0]}`
  return new StudioError(
    'FILE_NOT_FOUND',
    `PDF needs Chromium and there is none ${where}: install it (apt-get install chromium) or set EDGEBENCH_CHROMIUM, or write --format html and print that to PDF from a browser.`,
  )
}

const TIMEOUT_MS = 120_000

/** Prints the HTML with the Chromium found by {@link findChromium}. */
export const chromiumPdf: PdfRenderer = async (html, signal) => {
  const executablePath = findChromium()
  if (!executablePath) throw noChromiumError()
  const dir = await mkdtemp(join(tmpdir(), 'edgebench-pdf-'))
  const { chromium } = await import('playwright-core')
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined
  const abort = (): void => void browser?.close()
  signal?.addEventListener('abort', abort, { once: true })
  try {
    const file = join(dir, 'report.html')
    await writeFile(file, html, 'utf8')
    browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      timeout: TIMEOUT_MS,
    })
    const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    page.setDefaultTimeout(TIMEOUT_MS)
    await page.goto(pathToFileURL(file).href)
    await page.waitForSelector('body[data-report="ready"]')
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true })
    return new Uint8Array(pdf)
  } catch (e) {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'PDF export cancelled.')
    const err = toStudioError(e)
    throw new StudioError('INTERNAL', `Chromium could not print the report to PDF: ${err.message}`, { cause: e })
  } finally {
    signal?.removeEventListener('abort', abort)
    await browser?.close().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}
