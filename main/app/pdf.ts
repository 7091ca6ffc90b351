/**
 * The desktop app's PDF export: the report's HTML printed by Electron's own Chromium
 * (webContents.printToPDF) in a hidden, sandboxed window — no second browser needed. Its own
 * session: the app's CSP header would block the report's hash-pinned inline scripts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BrowserWindow, session } from 'electron'
import { StudioError } from '../../common/errors.js'
import type { PdfRenderer } from '../report/pdf.js'

const READY_TIMEOUT_MS = 60_000

async function waitForReport(win: BrowserWindow): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < until) {
    const state: unknown = await win.webContents.executeJavaScript("document.body && document.body.getAttribute('data-report')")
    if (state === 'ready') return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new StudioError('TIMEOUT', 'The report page did not finish drawing its charts within a minute; export HTML instead.')
}

export const electronPdf: PdfRenderer = async (html) => {
  const dir = await mkdtemp(join(tmpdir(), 'edgebench-pdf-'))
  const ses = session.fromPartition('edgebench-pdf')
  ses.setPermissionRequestHandler((_c, _p, callback) => callback(false))
  const win = new BrowserWindow({
    show: false,
    width: 1280,
    height: 900,
    webPreferences: { session: ses, sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: true },
  })
  try {
    const file = join(dir, 'report.html')
    await writeFile(file, html, 'utf8')
    await win.loadFile(file)
    await waitForReport(win)
    const pdf = await win.webContents.printToPDF({ landscape: true, printBackground: true, preferCSSPageSize: true })
    return new Uint8Array(pdf)
  } finally {
    win.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}
