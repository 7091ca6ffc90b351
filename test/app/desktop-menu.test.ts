/**
 * What a desktop user expects of the shell, checked without Electron: the application menu
 * (Import model…, Export report…, Open data folder, About with the versions), the window's
 * size and position remembered — and never restored off-screen — and where a packaged app finds
 * its zoo, dataset and SQLite binding.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'
import type { MenuItemConstructorOptions } from 'electron'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { appPaths } from '../../main/app/app-paths.js'
import { aboutText, menuTemplate, type MenuActions } from '../../main/app/menu.js'
import { DEFAULT_WINDOW, loadWindowState, restoreWindowState, trackWindowState, type Rect } from '../../main/app/window-state.js'

const dir = mkdtempSync(join(tmpdir(), 'edgebench-shell-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function items(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((m) => [m, ...(Array.isArray(m.submenu) ? items(m.submenu) : [])])
}

const actions = (): MenuActions & Record<keyof MenuActions, ReturnType<typeof vi.fn<() => void>>> => ({
  importModel: vi.fn<() => void>(),
  exportReport: vi.fn<() => void>(),
  openDataFolder: vi.fn<() => void>(),
  about: vi.fn<() => void>(),
})

describe('the application menu', () => {
  for (const isMac of [false, true]) {
    it(`has File → Import model…, Export report…, Open data folder and About (${isMac ? 'macOS' : 'Linux/Windows'})`, () => {
      const a = actions()
      const all = items(menuTemplate(a, { isMac, appName: 'EdgeBench Studio', dev: false }))
      const byId = (id: string): MenuItemConstructorOptions | undefined => all.find((i) => i.id === id)
      expect(byId('import-model')).toMatchObject({ label: 'Import model…', accelerator: 'CmdOrCtrl+O' })
      expect(byId('export-report')).toMatchObject({ label: 'Export report…', accelerator: 'CmdOrCtrl+E' })
      expect(byId('open-data-folder')?.label).toBe('Open data folder')
      expect(byId('about')?.label).toBe('About EdgeBench Studio')
      for (const id of ['import-model', 'export-report', 'open-data-folder', 'about'] as const) {
        ;(byId(id)?.click as (() => void) | undefined)?.()
      }
      expect(a.importModel).toHaveBeenCalledOnce()
      expect(a.exportReport).toHaveBeenCalledOnce()
      expect(a.openDataFolder).toHaveBeenCalledOnce()
      expect(a.about).toHaveBeenCalledOnce()
      // Developer tools only in development builds.
      expect(all.some((i) => i.role === 'toggleDevTools')).toBe(false)
      expect(items(menuTemplate(a, { isMac, appName: 'x', dev: true })).some((i) => i.role === 'toggleDevTools')).toBe(true)
    })
  }

  it('About names the app, Electron, Chromium, Node and ONNX Runtime versions', () => {
    const text = aboutText({ app: '0.1.0', electron: '45.4.1', chrome: '142.0', node: '22.20.0', onnxRuntime: '1.30.0', platform: 'linux', arch: 'x64' })
    expect(text).toBe('Version 0.1.0\nElectron 45.4.1 (Chromium 142.0, Node 22.20.0)\nONNX Runtime 1.30.0 (onnxruntime-node, CPU)\nlinux-x64')
  })
})

describe('the window state', () => {
  const laptop: Rect = { x: 0, y: 0, width: 1920, height: 1040 }
  const external: Rect = { x: 1920, y: 0, width: 2560, height: 1400 }

  it('restores size and position on a display that is still there', () => {
    const saved = { x: 2100, y: 100, width: 1600, height: 1000, maximized: true }
    expect(restoreWindowState(saved, [laptop, external])).toEqual(saved)
  })

  it('drops a position that would be off-screen (the monitor is gone) and clamps the size', () => {
    const s = restoreWindowState({ x: 2100, y: 100, width: 2500, height: 1300, maximized: false }, [laptop])
    expect(s).toEqual({ width: 1920, height: 1040, maximized: false })
  })

  it('answers the defaults for a missing, damaged or absurd file', () => {
    const file = join(dir, 'window-state.json')
    expect(loadWindowState(file, [laptop])).toEqual(DEFAULT_WINDOW)
    writeFileSync(file, '{ not json')
    expect(loadWindowState(file, [laptop])).toEqual(DEFAULT_WINDOW)
    expect(restoreWindowState({ width: 'big', height: -5, x: Number.NaN, y: 3 }, [laptop])).toEqual({ width: 1400, height: 600, maximized: false })
  })

  it('remembers what the user did with the window: saved after moves and on close, restored next start', async () => {
    const file = join(dir, 'tracked.json')
    const bounds = { x: 40, y: 30, width: 1200, height: 800 }
    const win = Object.assign(new EventEmitter(), {
      getNormalBounds: () => bounds,
      isMaximized: () => false,
      isDestroyed: () => false,
    })
    trackWindowState(win, file, 10)
    win.emit('move')
    await expect.poll(() => JSON.parse(readFileSync(file, 'utf8'))).toEqual({ ...bounds, maximized: false })
    Object.assign(bounds, { x: 300, width: 1000 })
    win.emit('close')
    expect(loadWindowState(file, [laptop])).toEqual({ x: 300, y: 30, width: 1000, height: 800, maximized: false })
  })
})

describe('the app\'s own files', () => {
  it('in a packaged app: zoo and dataset under resources/resources, the SQLite binding under resources/native', () => {
    const p = appPaths({ isPackaged: true, resourcesPath: '/opt/EdgeBench Studio/resources', appRoot: '/ignored' })
    expect(p).toEqual({
      resources: '/opt/EdgeBench Studio/resources/resources',
      sqliteBinding: '/opt/EdgeBench Studio/resources/native/better_sqlite3.node',
    })
  })

  it('in development: the repository\'s resources and build/electron-native', () => {
    expect(appPaths({ isPackaged: false, resourcesPath: '/usr/lib/electron/resources', appRoot: '/src/edgebench' })).toEqual({
      resources: '/src/edgebench/resources',
      sqliteBinding: '/src/edgebench/build/electron-native/better_sqlite3.node',
    })
  })
})
