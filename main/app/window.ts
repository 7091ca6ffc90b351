/** The one window factory: every studio window is made here, with the locked preferences. */
import { BrowserWindow, shell } from 'electron'
import { hardenContents, LOCKED_WEB_PREFERENCES, type AppSource } from './security.js'

export interface WindowOptions {
  /** The bundled preload script (out/preload/index.cjs). */
  preloadPath: string
  source: AppSource
  title?: string
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: opts.title ?? 'EdgeBench Studio',
    show: false,
    webPreferences: { ...LOCKED_WEB_PREFERENCES, preload: opts.preloadPath },
  })
  hardenContents(win.webContents, (url) => shell.openExternal(url))
  win.once('ready-to-show', () => win.show())
  if (opts.source.kind === 'file') void win.loadFile(opts.source.indexPath)
  else void win.loadURL(opts.source.url)
  return win
}
