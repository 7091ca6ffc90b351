/**
 * `edgebench device add serial`, `ports`, and `bench`/`eval --device <board>` without a model, as a
 * user runs them: real processes, a real database, the simulator on a socat pty pair.
 */
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BenchResult, EvalResult } from '../../common/types.js'
import { simBoard, SOCAT, type SimBoard } from '../devices/serial/helpers.js'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
const model = join(root, 'resources/models/resnet8.onnx')

let board: SimBoard
let db: string

function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [bin, '--db', db, ...args], { cwd: board.dir })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000)
    p.on('close', (code) => {
      clearTimeout(timer)
      done({ status: code ?? -1, stdout, stderr })
    })
  })
}

describe.skipIf(!SOCAT)('edgebench with a serial board', () => {
  beforeAll(async () => {
    board = await simBoard({ usPerInference: 2000, name: 'Sim MCU', modelId: 'fmnist01' })
    db = join(board.dir, 'cli.db')
  }, 60_000)
  afterAll(async () => board?.close(), 30_000)

  it('ports --json lists ports (or says it scanned), always valid JSON', async () => {
    const r = await cli('ports', '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { ports: unknown[]; source: string; note: string | null }
    expect(['serialport', 'scan']).toContain(out.source)
    expect(Array.isArray(out.ports)).toBe(true)
    if (out.source === 'scan') expect(out.note).toMatch(/scanned \/dev\/ttyUSB\*/)
  }, 60_000)

  it('refuses a bad baud rate before touching anything', async () => {
    const r = await cli('device', 'add', 'serial', '--name', 'x', '--path', board.pty.host, '--baud', 'fast')
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/--baud must be an integer/)
  }, 60_000)

  it('adds the board (probing its name and model id), linked to a studio model and a dataset', async () => {
    const r = await cli(
      'device',
      'add',
      'serial',
      '--name',
      'mcu',
      '--path',
      board.pty.host,
      '--model',
      model,
      '--dataset',
      'fashion-mnist',
      '--window-seconds',
      '1',
      '--json',
    )
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as {
      device: { kind: string; config: Record<string, unknown> }
      info: { extra: Record<string, unknown> }
    }
    expect(out.device.kind).toBe('serial')
    expect(out.device.config).toMatchObject({
      path: board.pty.host,
      baudRate: 115200,
      boardModel: 'fmnist01',
      dataset: 'fashion-mnist',
      windowSeconds: 1,
    })
    expect(out.info.extra.board).toBe('Sim MCU')
  }, 60_000)

  it('bench --device <board> with no model: the median window latency, board facts in env', async () => {
    const r = await cli('bench', '--device', 'mcu', '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as BenchResult
    expect(out.model).toBe('resnet8')
    expect(out.latencyUs.count).toBe(5)
    expect(Math.abs(out.latencyUs.p50 - 2000) / 2000).toBeLessThan(0.005)
    expect(out.env.kind).toBe('serial')
    expect(out.env.extra).toMatchObject({ board: 'Sim MCU', modelId: 'fmnist01' })
    expect((out.env.extra?.windows as unknown[]).length).toBe(5)
    expect(out.env.extra?.transcript).toMatchObject({ errors: [] })
    expect(out.memory.peakRssBytes).toBeNull()
  }, 90_000)

  it('eval --device <board> with no model and no --dataset uses the linked dataset', async () => {
    const r = await cli('eval', '--device', 'mcu', '--limit', '20', '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as EvalResult
    expect(out.dataset).toBe('fashion-mnist')
    expect(out.count).toBe(20)
    expect(out.top1).toBeGreaterThan(0.5)
  }, 90_000)

  it('a board with no studio model linked gets a firmware model record named after its model id', async () => {
    const add = await cli(
      'device',
      'add',
      'serial',
      '--name',
      'fw',
      '--path',
      board.pty.host,
      '--input',
      '28x28x1',
      '--dataset',
      'fashion-mnist',
      '--window-seconds',
      '0.2',
    )
    expect(add.status, add.stderr).toBe(0)
    const r = await cli('eval', '--device', 'fw', '--limit', '10', '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as EvalResult
    expect(out.model).toBe('fmnist01 (firmware on fw)')
    expect(out.count).toBe(10)
    // Raw bytes are the same whoever labels the run, so the accuracy matches the linked run's.
    expect(out.top1).toBeGreaterThan(0.5)
  }, 90_000)

  it('bench with no model on this computer says a model is needed', async () => {
    const r = await cli('bench', '--json')
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/only serial boards carry their own model/)
  }, 60_000)
})
