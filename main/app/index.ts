/**
 * The Electron main process: opens the studio on the user's database, wires the shared API
 * handlers to IPC and opens the one window. Built by electron-vite to out/main/index.js.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session, shell, type WebContents } from 'electron'
import { createLogger } from '../log.js'
import { defaultDbPath } from '../paths.js'
import { createHandlers } from '../api/handlers.js'
import { Studio } from '../studio.js'
import { desktopChannels } from './dialogs.js'
import { electronPdf } from './pdf.js'
import { SafeSecretStore } from './safe-secret-store.js'
import { forwardEvents, registerIpc } from './ipc.js'
import { hardenContents, hardenSession, isAppUrl, type AppSource } from './security.js'
import { createMainWindow } from './window.js'

const here = dirname(fileURLToPath(import.meta.url))

/** A sandboxed preload must be CommonJS; accept whichever name the bundler gave it. */
function preloadPath(): string {
  const dir = join(here, '..', 'preload')
  const found = ['index.cjs', 'index.js', 'index.mjs'].map((n) => join(dir, n)).find((p) => existsSync(p))
  return found ?? join(dir, 'index.cjs')
}

function appSource(): AppSource {
  // electron-vite sets this in `dev` only; a packaged or previewed app loads its own files.
  const dev = process.env.ELECTRON_RENDERER_URL
  if (dev && !app.isPackaged) return { kind: 'url', url: dev }
  return { kind: 'file', indexPath: join(here, '..', 'renderer', 'index.html') }
}

async function main(): Promise<void> {
  app.enableSandbox()
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  // Every WebContents gets the guards, whoever made it.
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, (url) => shell.openExternal(url)))
  await app.whenReady()

  const logger = createLogger('info')
  // Device passwords/passphrases: encrypted with safeStorage, never in the database.
  const secrets = new SafeSecretStore(safeStorage, join(app.getPath('userData'), 'secrets'), logger)
  const studio = Studio.open({ dbPath: defaultDbPath(), logger, secrets })
  const source = appSource()
  hardenSession(session.defaultSession)
  let win: BrowserWindow | null = null
  const handlers = createHandlers(studio, {
    mode: 'desktop',
    desktop: desktopChannels(studio, dialog, () => win, electronPdf),
    pdf: electronPdf,
  })
  const unregister = registerIpc(ipcMain, handlers, (url) => isAppUrl(url, source))
  const stopEvents = forwardEvents(handlers, () => (win && !win.isDestroyed() ? [win.webContents as WebContents] : []))
  studio.ensureZoo().catch((e: unknown) => logger.warn(`bundled models: ${e instanceof Error ? e.message : String(e)}`))

  const open = (): void => {
    win = createMainWindow({ preloadPath: preloadPath(), source })
    win.on('closed', () => {
      win = null
    })
  }
  open()
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  let closing = false
  app.on('will-quit', (event) => {
    if (closing) return
    // Cancel runs and stop device processes before the process goes; what was measured is stored.
    event.preventDefault()
    closing = true
    stopEvents()
    unregister()
    handlers.dispose()
    void studio.close().finally(() => app.quit())
  })
}

void main().catch((e: unknown) => {
  dialog.showErrorBox('EdgeBench Studio could not start', e instanceof Error ? e.message : String(e))
  app.exit(1)
})
