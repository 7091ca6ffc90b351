/**
 * 'ports:list' and 'devices:add-serial' on a real Studio: validation at the boundary, a board that
 * does not answer is saved with the reason, and a simulated board on a pty is probed on add.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AddSerialResult, ApiResult, PortListing } from '../../common/api.js'
import { createHandlers, type ApiHandlers } from '../../main/api/handlers.js'
import { Studio } from '../../main/studio.js'
import { simBoard, SOCAT } from '../devices/serial/helpers.js'
import { value } from './result.js'

let dir: string
let studio: Studio
let api: ApiHandlers

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-serial-handlers-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  api = createHandlers(studio, { mode: 'browser' })
})
afterAll(async () => {
  api?.dispose()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('serial channels', () => {
  it('ports:list answers a listing with its source', async () => {
    const list = value((await api.call('ports:list', undefined)) as ApiResult<PortListing>)
    expect(['serialport', 'scan']).toContain(list.source)
  })

  it('devices:add-serial refuses a bad name or baud rate at the boundary', async () => {
    const bad = await api.call('devices:add-serial', { name: 'a b', path: '/dev/x' })
    expect(bad.ok ? 'ok' : bad.error.code).toBe('BAD_INPUT')
    const baud = await api.call('devices:add-serial', { name: 'ok', path: '/dev/x', baudRate: -1 })
    expect(baud.ok ? 'ok' : baud.error.message).toMatch(/baudRate/)
  })

  it('saves a board that is not there, with the reason, and lists it as serial', async () => {
    const r = value(
      (await api.call('devices:add-serial', {
        name: 'ghost',
        path: join(dir, 'no-such-tty'),
      })) as ApiResult<AddSerialResult>,
    )
    expect(r.device.kind).toBe('serial')
    expect(r.probeError?.code).toBe('DEVICE_UNREACHABLE')
    expect(r.probeError?.message).toMatch(/does not exist.*edgebench ports/)
    expect(studio.store.getDevice('ghost')?.config).toMatchObject({ baudRate: 115200, parity: 'none' })
  })

  it.skipIf(!SOCAT)(
    'probes a simulated board on add and records its model id',
    async () => {
      const board = await simBoard({ modelId: 'ic01', name: 'Sim' })
      try {
        const r = value(
          (await api.call('devices:add-serial', {
            name: 'sim',
            path: board.pty.host,
            dataset: 'fashion-mnist',
          })) as ApiResult<AddSerialResult>,
        )
        expect(r.probeError).toBeNull()
        expect(r.device.config.boardModel).toBe('ic01')
        expect(r.device.status.state).toBe('online')
        await studio.devices.drop('sim')
      } finally {
        await board.close()
      }
    },
    60_000,
  )
})
