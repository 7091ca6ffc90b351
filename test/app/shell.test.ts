/**
 * The desktop shell's security locks, against a fake `electron` (the real binary cannot start
 * here): the window's preferences, refused navigation and pop-ups, refused permissions, and IPC
 * that answers only the app's own page and only with valid payloads.
 */
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ApiResult } from '../../common/api.js'
import type { Studio } from '../../main/studio.js'

type Listener = (...args: unknown[]) => unknown

const fake = vi.hoisted(() => {
  class FakeWebContents {
    readonly listeners = new Map<string, Listener>()
    openHandler: ((details: { url: string }) => { action: string }) | null = null
    on(event: string, fn: Listener): this {
      this.listeners.set(event, fn)
      return this
    }
    setWindowOpenHandler(fn: (details: { url: string }) => { action: string }): void {
      this.openHandler = fn
    }
  }
  class FakeBrowserWindow {
    static made: FakeBrowserWindow[] = []
    readonly webContents = new FakeWebContents()
    loaded: string | null = null
    constructor(readonly options: { webPreferences?: Record<string, unknown> }) {
      FakeBrowserWindow.made.push(this)
    }
    once(): this {
      return this
    }
    loadFile(path: string): Promise<void> {
      this.loaded = path
      return Promise.resolve()
    }
    loadURL(url: string): Promise<void> {
      this.loaded = url
      return Promise.resolve()
    }
  }
  const handlers = new Map<string, Listener>()
  return {
    FakeBrowserWindow,
    FakeWebContents,
    handlers,
    openExternal: vi.fn((url: string) => Promise.resolve(void url)),
    ipcMain: {
      handle: (channel: string, fn: Listener): void => {
        handlers.set(channel, fn)
      },
      removeHandler: (channel: string): void => {
        handlers.delete(channel)
      },
    },
  }
})

vi.mock('electron', () => ({
  BrowserWindow: fake.FakeBrowserWindow,
  shell: { openExternal: fake.openExternal },
  ipcMain: fake.ipcMain,
}))

const { createMainWindow } = await import('../../main/app/window.js')
const { hardenSession, isAppUrl } = await import('../../main/app/security.js')
const { registerIpc } = await import('../../main/app/ipc.js')
const { createHandlers } = await import('../../main/api/handlers.js')

const INDEX = join('/opt/edgebench/out/renderer', 'index.html')
const APP_URL = `${pathToFileURL(INDEX).href}#/explore`

function makeWindow(): InstanceType<typeof fake.FakeBrowserWindow> {
  createMainWindow({ preloadPath: '/opt/edgebench/out/preload/index.cjs', source: { kind: 'file', indexPath: INDEX } })
  const win = fake.FakeBrowserWindow.made.at(-1)
  if (!win) throw new Error('no window made')
  return win
}

beforeEach(() => {
  fake.openExternal.mockClear()
  fake.handlers.clear()
})

describe('the window factory', () => {
  it('locks webPreferences: isolated, sandboxed, no Node, web security on, our preload', () => {
    const win = makeWindow()
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: '/opt/edgebench/out/preload/index.cjs',
    })
    expect(win.loaded).toBe(INDEX)
  })

  it('prevents every navigation; an https link goes to the browser, nothing else leaves', () => {
    const win = makeWindow()
    const navigate = win.webContents.listeners.get('will-navigate')
    expect(navigate).toBeDefined()
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)', APP_URL]) {
      const event = { preventDefault: vi.fn() }
      navigate?.(event, url)
      expect(event.preventDefault).toHaveBeenCalled()
    }
    expect(fake.openExternal.mock.calls.map((c) => c[0])).toEqual(['https://evil.example/'])
  })

  it('denies window.open, opening https links externally only', () => {
    const win = makeWindow()
    expect(win.webContents.openHandler?.({ url: 'https://github.com/' })).toEqual({ action: 'deny' })
    expect(win.webContents.openHandler?.({ url: 'http://evil.example/' })).toEqual({ action: 'deny' })
    expect(win.webContents.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(fake.openExternal.mock.calls.map((c) => c[0])).toEqual(['https://github.com/'])
  })

  it('denies every permission request and adds the CSP to responses', () => {
    let permission: Listener | null = null
    let check: Listener | null = null
    let headers: Listener | null = null
    const session = {
      setPermissionRequestHandler: (fn: Listener) => (permission = fn),
      setPermissionCheckHandler: (fn: Listener) => (check = fn),
      webRequest: { onHeadersReceived: (fn: Listener) => (headers = fn) },
    }
    hardenSession(session as never)
    const answer = vi.fn()
    ;(permission as Listener | null)?.({}, 'media', answer)
    expect(answer).toHaveBeenCalledWith(false)
    expect((check as Listener | null)?.({}, 'notifications')).toBe(false)
    const done = vi.fn()
    ;(headers as Listener | null)?.({ responseHeaders: {} }, done)
    const csp = (done.mock.calls[0]?.[0] as { responseHeaders: Record<string, string[]> }).responseHeaders['Content-Security-Policy']
    expect(csp?.[0]).toContain("script-src 'self'")
  })

  it('knows its own page: the built index.html under any route, nothing else', () => {
    const source = { kind: 'file', indexPath: INDEX } as const
    expect(isAppUrl(APP_URL, source)).toBe(true)
    expect(isAppUrl(pathToFileURL('/opt/edgebench/out/renderer/other.html').href, source)).toBe(false)
    expect(isAppUrl('https://evil.example/opt/edgebench/out/renderer/index.html', source)).toBe(false)
    const dev = { kind: 'url', url: 'http://localhost:5173/' } as const
    expect(isAppUrl('http://localhost:5173/#/runs', dev)).toBe(true)
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false)
  })
})

describe('IPC', () => {
  function fakeStudio(): { studio: Studio; getRun: ReturnType<typeof vi.fn> } {
    const getRun = vi.fn((id: number) => ({ id, kind: 'bench', status: 'finished' }))
    const runs = Object.assign(new EventEmitter(), { active: () => [], cancel: vi.fn(() => false) })
    const studio = { runs, store: { getRun, path: ':memory:' } } as unknown as Studio
    return { studio, getRun }
  }

  function call(channel: string, frame: { url: string; parent: unknown } | null, payload: unknown): Promise<ApiResult<unknown>> {
    const fn = fake.handlers.get(channel)
    if (!fn) throw new Error(`no handler for ${channel}`)
    return fn({ senderFrame: frame }, payload) as Promise<ApiResult<unknown>>
  }

  it('registers every contract channel and answers the app page', async () => {
    const { studio, getRun } = fakeStudio()
    registerIpc(fake.ipcMain as never, createHandlers(studio, { mode: 'desktop' }), (url) => isAppUrl(url, { kind: 'file', indexPath: INDEX }))
    expect(fake.handlers.has('runs:start')).toBe(true)
    expect(fake.handlers.has('explore:points')).toBe(true)
    const r = await call('runs:get', { url: APP_URL, parent: null }, { runId: 3 })
    expect(r).toMatchObject({ ok: true, value: { id: 3 } })
    expect(getRun).toHaveBeenCalledWith(3)
  })

  it('refuses a call from a foreign frame or a subframe without touching the studio', async () => {
    const { studio, getRun } = fakeStudio()
    registerIpc(fake.ipcMain as never, createHandlers(studio, { mode: 'desktop' }), (url) => isAppUrl(url, { kind: 'file', indexPath: INDEX }))
    const foreign = await call('runs:get', { url: 'https://evil.example/', parent: null }, { runId: 3 })
    expect(foreign.ok).toBe(false)
    const sub = await call('runs:get', { url: APP_URL, parent: { url: APP_URL } }, { runId: 3 })
    expect(sub.ok).toBe(false)
    const none = await call('runs:get', null, { runId: 3 })
    expect(none.ok).toBe(false)
    expect(getRun).not.toHaveBeenCalled()
  })

  it('rejects a bad payload with BAD_INPUT before it reaches the studio', async () => {
    const { studio, getRun } = fakeStudio()
    registerIpc(fake.ipcMain as never, createHandlers(studio, { mode: 'desktop' }), (url) => isAppUrl(url, { kind: 'file', indexPath: INDEX }))
    for (const payload of [{ runId: 'x' }, { runId: -1 }, { runId: 1, extra: true }, null, 'runs']) {
      const r = await call('runs:get', { url: APP_URL, parent: null }, payload)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.code).toBe('BAD_INPUT')
    }
    expect(getRun).not.toHaveBeenCalled()
  })

  it('answers hostile payloads and a vanished frame with an error envelope on every channel, never a throw', async () => {
    const { studio } = fakeStudio()
    registerIpc(fake.ipcMain as never, createHandlers(studio, { mode: 'desktop' }), (url) => isAppUrl(url, { kind: 'file', indexPath: INDEX }))
    const hostile: unknown[] = [
      { toString: 1 },
      { runId: Number.POSITIVE_INFINITY },
      { runId: 2 ** 60 },
      { modelId: { valueOf: () => 1 } },
      Object.create(null) as unknown,
      [[[[[]]]]],
      'x'.repeat(100_000),
      { __proto__: { runId: 1 } },
    ]
    for (const channel of fake.handlers.keys()) {
      for (const payload of hostile) {
        const r = await call(channel, { url: APP_URL, parent: null }, payload)
        expect(typeof r.ok).toBe('boolean')
      }
    }
    const gone = {
      get senderFrame(): never {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed')
      },
    }
    const fn = fake.handlers.get('runs:get')
    const r = (await fn?.(gone, { runId: 1 })) as ApiResult<unknown>
    expect(r.ok).toBe(false)
  })

  it('answers the desktop-only channels with BAD_INPUT when no dialog is wired', async () => {
    const { studio } = fakeStudio()
    registerIpc(fake.ipcMain as never, createHandlers(studio, { mode: 'browser' }), () => true)
    const r = await call('models:openDialog', { url: APP_URL, parent: null }, undefined)
    expect(r.ok ? 'ok' : r.error.code).toBe('BAD_INPUT')
  })
})
