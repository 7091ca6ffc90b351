/**
 * The application menu. Import model… and Export report… hand over to the page (the same flows
 * as its buttons, so errors show where the user looks); the rest is the shell's own. The template
 * is built from plain data and callbacks, so a test can read and click it without Electron.
 */
import type { MenuItemConstructorOptions } from 'electron'

export interface MenuActions {
  importModel(): void
  exportReport(): void
  openDataFolder(): void
  about(): void
}

export interface MenuContext {
  /** macOS puts the app's own menu first and About in it. */
  isMac: boolean
  appName: string
  /** Development builds keep the developer tools in View. */
  dev: boolean
}

function fileMenu(a: MenuActions, isMac: boolean): MenuItemConstructorOptions {
  return {
    label: 'File',
    submenu: [
      { id: 'import-model', label: 'Import model…', accelerator: 'CmdOrCtrl+O', click: () => a.importModel() },
      { id: 'export-report', label: 'Export report…', accelerator: 'CmdOrCtrl+E', click: () => a.exportReport() },
      { type: 'separator' },
      { id: 'open-data-folder', label: 'Open data folder', click: () => a.openDataFolder() },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  }
}

function viewMenu(dev: boolean): MenuItemConstructorOptions {
  const zoom: MenuItemConstructorOptions[] = [
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ]
  return { label: 'View', submenu: dev ? [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, ...zoom] : zoom }
}

export function menuTemplate(a: MenuActions, ctx: MenuContext): MenuItemConstructorOptions[] {
  const about: MenuItemConstructorOptions = { id: 'about', label: `About ${ctx.appName}`, click: () => a.about() }
  const template: MenuItemConstructorOptions[] = []
  if (ctx.isMac) {
    template.push({
      label: ctx.appName,
      submenu: [about, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
    })
  }
  template.push(fileMenu(a, ctx.isMac), { role: 'editMenu' }, viewMenu(ctx.dev), { role: 'windowMenu' })
  if (!ctx.isMac) template.push({ role: 'help', submenu: [about] })
  return template
}

/** The About box's text: the versions a bug report needs. */
export function aboutText(v: { app: string; electron?: string; chrome?: string; node: string; onnxRuntime: string; platform: string; arch: string }): string {
  return [
    `Version ${v.app}`,
    `Electron ${v.electron ?? '—'} (Chromium ${v.chrome ?? '—'}, Node ${v.node})`,
    `ONNX Runtime ${v.onnxRuntime} (onnxruntime-node, CPU)`,
    `${v.platform}-${v.arch}`,
  ].join('\n')
}
