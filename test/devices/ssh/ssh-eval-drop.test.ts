/**
 * An SSH evaluation keeps what arrived when the link drops (issue 14: cutting the link mid-results
 * left 0 predictions, 3 of 3). The studio reaches a real sshd through a TCP proxy in this test;
 * the proxy is cut while results stream back, and every prediction received is in the store.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS, type EvalResult, type Progress } from '../../../common/types.js'
import { Studio } from '../../../main/studio.js'
import { sshdAvailable, startSshd, type SshdServer } from './sshd-server.js'

const MODEL = resolve(import.meta.dirname, '../../../resources/models/resnet8.onnx')
const LIMIT = 10_000
const hasSshd = sshdAvailable()

interface Proxy {
  port: number
  /** Destroys every connection through the proxy (both directions), as a pulled cable does. */
  cut(): void
  close(): Promise<void>
}

function startProxy(target: number): Promise<Proxy> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  return new Promise((done) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      done({
        port: typeof address === 'object' && address ? address.port : 0,
        cut: () => {
          for (const s of sockets) s.destroy()
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy()
            server.close(() => r())
          }),
      })
    })
  })
}

describe.skipIf(!hasSshd)('an SSH evaluation whose link drops mid-results', { timeout: 300_000 }, () => {
  let server: SshdServer
  let proxy: Proxy
  let studio: Studio

  beforeAll(async () => {
    server = await startSshd()
    proxy = await startProxy(server.port)
    const dir = mkdtempSync(join(tmpdir(), 'edgebench-ssh-drop-'))
    studio = Studio.open({ dbPath: join(dir, 'studio.db') })
    writeFileSync(join(studio.dataDir, 'known_hosts'), `[127.0.0.1]:${proxy.port} ${server.hostPublicKey}\n`)
    studio.store.upsertDevice({
      name: 'pi',
      kind: 'ssh',
      config: { host: '127.0.0.1', port: proxy.port, user: server.user, auth: 'key', keyPath: server.clientKey, remoteDir: join(server.dir, 'board') },
    })
  })
  afterAll(async () => {
    await studio?.close()
    await proxy?.close()
    await server?.stop()
  })

  it('keeps every prediction received before the cut, and the run says how many', async () => {
    const modelId = (await studio.importModel(MODEL)).id
    let cutAt = -1
    const onProgress = (_id: number, p: Progress): void => {
      if (cutAt < 0 && p.phase === 'accuracy' && p.done > 0 && p.done < LIMIT) {
        cutAt = p.done
        proxy.cut()
      }
    }
    studio.runs.on('progress', onProgress)
    const run = await studio.runAndWait({
      kind: 'eval',
      modelId,
      deviceName: 'pi',
      session: DEFAULT_SESSION_OPTIONS,
      dataset: 'fashion-mnist',
      limit: LIMIT,
    })
    studio.runs.off('progress', onProgress)
    expect(cutAt, 'the link was cut while results arrived').toBeGreaterThan(0)
    expect(run.status).toBe('interrupted')
    expect(run.error?.code).toBe('DEVICE_UNREACHABLE')
    const stored = studio.store.getPredictions(run.id)
    // At least what progress had reported when the cable was pulled, in order from sample 0.
    expect(stored.indices.length).toBeGreaterThanOrEqual(cutAt)
    expect(stored.indices.length).toBeLessThan(LIMIT)
    expect(stored.indices).toEqual(Array.from({ length: stored.indices.length }, (_, i) => i))
    const partial = run.result as EvalResult
    expect(partial.count).toBe(stored.indices.length)
    expect(partial.partialOf).toBe(LIMIT)
    expect(run.error?.message).toMatch(/Kept [\d,]+ of 10,000 predictions/)
  })
})
