/**
 * The Electron main process: opens the studio on the user's database, wires the shared API
 * handlers to IPC, builds the menu and opens the one window. Built by electron-vite to
 * out/main/index.js. No ONNX Runtime here: inference runs in the runner and engine worker
 * child processes (devices/local, main/worker), so this thread stays free for the window.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, Menu, safeStorage, screen, session, shell, type WebContents } from 'electron'
import type { AppCommand, ApiEventMessage } from '../../common/api.js'
import { createLogger, type Logger } from '../log.js'
import { appRoot, defaultDbPath } from '../paths.js'
import { createHandlers, type ApiHandlers } from '../api/handlers.js'
import { Studio } from '../studio.js'
import { appPaths } from './app-paths.js'
import { desktopChannels } from './dialogs.js'
import { electronPdf } from './pdf.js'
import { SafeSecretStore } from './safe-secret-store.js'
import { EVENT_CHANNEL, forwardEvents, registerIpc } from './ipc.js'
import { aboutText, menuTemplate } from './menu.js'
import { hardenContents, hardenSession, isAppUrl, type AppSource } from './security.js'
import { createMainWindow } from './window.js'
import { loadWindowState, trackWindowState } from './window-state.js'

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

async function showAbout(handlers: ApiHandlers, parent: BrowserWindow | null): Promise<void> {
  const info = await handlers.invoke('app:info', undefined)
  const detail = aboutText({
    app: app.getVersion(),
    electron: process.versions.electron,
    chrome: process.versions.chrome,
    node: process.versions.node,
    onnxRuntime: info.ok ? info.value.onnxRuntime : 'unknown',
    platform: process.platform,
    arch: process.arch,
  })
  const options = { type: 'info' as const, title: 'About EdgeBench Studio', message: 'EdgeBench Studio', detail, buttons: ['OK'] }
  await (parent ? dialog.showMessageBox(parent, options) : dialog.showMessageBox(options))
}

/** The application menu; the page runs Import/Export itself, so their errors show where it shows them. */
function installMenu(handlers: ApiHandlers, dataDir: string, window: () => BrowserWindow | null, logger: Logger): void {
  const command = (cmd: AppCommand): void => {
    const message: ApiEventMessage = { event: 'app:command', payload: { command: cmd } }
    const win = window()
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, message)
  }
  const actions = {
    importModel: () => command('import-model'),
    exportReport: () => command('export-report'),
    openDataFolder: () => void shell.openPath(dataDir),
    about: () => void showAbout(handlers, window()).catch((e: unknown) => logger.warn(`about: ${String(e)}`)),
  }
  const context = { isMac: process.platform === 'darwin', appName: 'EdgeBench Studio', dev: !app.isPackaged }
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(actions, context)))
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
  const paths = appPaths({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appRoot: appRoot() })
  // The zoo and datasets for this process and the child processes it forks (they inherit it).
  process.env.EDGEBENCH_RESOURCES ??= paths.resources
  // Device passwords/passphrases: encrypted with safeStorage, never in the database.
  const secrets = new SafeSecretStore(safeStorage, join(app.getPath('userData'), 'secrets'), logger)
  // SQLite through the binding built for Electron's ABI (main/store/sqlite-binding.ts).
  const studio = Studio.open({ dbPath: defaultDbPath(), logger, secrets, sqliteBinding: paths.sqliteBinding })
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

  installMenu(handlers, dirname(studio.store.path), () => win, logger)

  const stateFile = join(app.getPath('userData'), 'window-state.json')
  const open = (): void => {
    const state = loadWindowState(stateFile, screen.getAllDisplays().map((d) => d.workArea))
    win = createMainWindow({ preloadPath: preloadPath(), source, state })
    trackWindowState(win, stateFile)
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
