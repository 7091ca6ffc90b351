// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBrowserBridge, takeToken } from '../../renderer/src/api/browser-bridge.js'
import { ApiError, request, setBridge } from '../../renderer/src/api/index.js'
import { fakeBridge } from './fake-bridge.js'

afterEach(() => {
  vi.unstubAllGlobals()
  setBridge(null)
})

describe('browser bridge', () => {
  it('POSTs /api/<channel> with the payload and the bearer token, and returns the ApiResult', async () => {
    const fetchMock = vi.fn(
      async () => new Response(JSON.stringify({ ok: true, value: [] }), { status: 200 }),
    )
    vi.stubGlobal('fetch', fetchMock)
    const bridge = createBrowserBridge('tok', 'http://127.0.0.1:9999')
    expect(await bridge.invoke('runs:list', { limit: 5 })).toEqual({ ok: true, value: [] })
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('http://127.0.0.1:9999/api/runs:list')
    expect(init.method).toBe('POST')
    expect(init.body).toBe('{"limit":5}')
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer tok')
    await bridge.invoke('models:list')
    expect((fetchMock.mock.calls[1] as unknown as [string, RequestInit])[1].body).toBe('null')
  })

  it('turns a refused token and an unreachable server into errors a user can act on', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('no', { status: 401 })),
    )
    const r = await createBrowserBridge(null, 'http://127.0.0.1:9999').invoke('models:list')
    expect(r.ok === false && r.error.code).toBe('AUTH_FAILED')
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    )
    const r2 = await createBrowserBridge(null, 'http://127.0.0.1:9999').invoke('models:list')
    expect(r2.ok === false && r2.error.message).toMatch(/did not answer.*edgebench serve/)
  })

  it('takes ?token= from the address once and keeps it for the tab', () => {
    window.history.replaceState(null, '', '/?token=abc#/models')
    expect(takeToken(window.location, window.sessionStorage)).toBe('abc')
    expect(window.location.search).toBe('')
    expect(takeToken(window.location, window.sessionStorage)).toBe('abc')
  })

  it('request() unwraps values and throws ApiError with the code', async () => {
    setBridge(
      fakeBridge({
        'app:info': () => ({ name: 'x' }),
        'runs:get': () => Promise.reject(Object.assign(new Error('No run 9'), { code: 'NOT_FOUND' })),
      }),
    )
    expect(await request('app:info')).toEqual({ name: 'x' })
    const err = await request('runs:get', { runId: 9 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('NOT_FOUND')
  })
})
