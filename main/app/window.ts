/** The one window factory: every studio window is made here, with the locked preferences. */
import { BrowserWindow, shell } from 'electron'
import { hardenContents, LOCKED_WEB_PREFERENCES, type AppSource } from './security.js'
import { DEFAULT_WINDOW, MIN_SIZE, type WindowState } from './window-state.js'

export interface WindowOptions {
  /** The bundled preload script (out/preload/index.cjs). */
  preloadPath: string
  source: AppSource
  title?: string
  /** Size, position and maximized state to open with (window-state.ts); default 1400×900, centred. */
  state?: WindowState
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const state = opts.state ?? DEFAULT_WINDOW
  const win = new BrowserWindow({
    width: state.width,
    height: state.height,
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: opts.title ?? 'EdgeBench Studio',
    show: false,
    webPreferences: { ...LOCKED_WEB_PREFERENCES, preload: opts.preloadPath },
  })
  hardenContents(win.webContents, (url) => shell.openExternal(url))
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize()
    win.show()
  })
  if (opts.source.kind === 'file') void win.loadFile(opts.source.indexPath)
  else void win.loadURL(opts.source.url)
  return win
}
