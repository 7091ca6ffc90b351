/**
 * Early exit on an SSH board (a real OpenSSH server on 127.0.0.1, the real agent): the chain's
 * segments, its cascade and the inputs go up content-addressed, the agent runs the same session server as the
 * local runner, and its chain outputs equal the local device's bit for bit.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS } from '../../../common/types.js'
import type { ChainSpec, Device, RawEarlyExit } from '../../../devices/device.js'
import { LocalDevice } from '../../../devices/local/local-device.js'
import { SshDevice } from '../../../devices/ssh/ssh-device.js'
import { cascadeModel } from '../../../main/early-exit/cascade.js'
import { planExits, splitChain } from '../../../main/early-exit/graph.js'
import { decodeModel, encodeModel } from '../../../main/model/onnx-io.js'
import { batchesOf, fashionImages } from '../local/helpers.js'
import { sshdAvailable, startSshd, type SshdServer } from './sshd-server.js'

const MODEL = resolve(import.meta.dirname, '../../../resources/models/resnet8-ee.onnx')
const latency = { warmupRuns: 2, warmupMs: 10, minRuns: 30, minMs: 20, maxMs: 20_000, profile: false }
const hasSshd = sshdAvailable()
const N = 120

let server: SshdServer
let work: string
let chain: ChainSpec

async function measure(device: Device): Promise<RawEarlyExit> {
  const dep = await device.prepare({ name: 'resnet8-ee', path: MODEL }, DEFAULT_SESSION_OPTIONS)
  const opts = { rule: 'maxprob' as const, thresholds: [0.5, 0.9, 1], latency, seed: 1 }
  return (device.earlyExit as NonNullable<Device['earlyExit']>).call(
    device,
    dep,
    chain,
    batchesOf(fashionImages(N), 50),
    N,
    opts,
  )
}

describe.skipIf(!hasSshd)('early exit on an SSH board (real sshd)', { timeout: 240_000 }, () => {
  const local = new LocalDevice()
  let board: SshDevice

  beforeAll(async () => {
    server = await startSshd()
    work = mkdtempSync(join(tmpdir(), 'edgebench-ee-ssh-'))
    const model = decodeModel(readFileSync(MODEL))
    const plan = planExits(model, 'resnet8-ee')
    const split = splitChain(model, plan)
    const segments = split.map((s, k) => {
      const path = join(work, `segment${k}.onnx`)
      writeFileSync(path, encodeModel(s.model))
      return { path, inputs: s.inputs, outputs: s.outputs }
    })
    const cascade = join(work, 'cascade.onnx')
    writeFileSync(cascade, encodeModel(cascadeModel(model, split, plan, 'maxprob')))
    chain = { segments, exits: plan.exits, final: plan.final, cascade }
    board = new SshDevice({
      name: 'board',
      config: {
        host: '127.0.0.1',
        port: server.port,
        user: server.user,
        auth: 'key',
        keyPath: server.clientKey,
        remoteDir: join(server.dir, 'board'),
      },
      knownHostsPath: join(server.dir, 'kh'),
      trustNewHostKey: true,
    })
  })

  afterAll(async () => {
    await board?.close()
    await local.close()
    await server?.stop()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('runs the chain on the board: verified, timed per threshold, the same outputs as on this computer', async () => {
    const [onBoard, here] = [await measure(board), await measure(local)]
    for (const d of Object.values(onBoard.reply.maxAbsDiff)) expect(d).toBeLessThanOrEqual(1e-5)
    expect(onBoard.reply.verified).toBe(N)
    // The bundled agent reaches ORT's native run too, so both sides are timed alike.
    expect(onBoard.reply.syncRuns).toBe(true)
    expect(onBoard.chainScores.map((s) => Array.from(s))).toEqual(here.chainScores.map((s) => Array.from(s)))
    expect(onBoard.samplesUs).toHaveLength(4)
    for (const s of onBoard.samplesUs) expect(s.length).toBeGreaterThanOrEqual(latency.minRuns)
    // t = 1 never stops; the timed decisions are the board's own cascade's, and the rule's.
    expect(onBoard.reply.timedExits[3]).toEqual([0])
    expect(onBoard.reply.timedExits[1]?.[0]).toBeGreaterThan(0)
    expect(onBoard.reply.decisionMismatches).toBe(0)
    // The segments and the cascade went up content-addressed beside the model.
    const models = readdirSync(join(server.dir, 'board', 'models'))
    expect(models.length).toBeGreaterThanOrEqual(4)
  })
})
