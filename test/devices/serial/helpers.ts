/**
 * A simulated board for integration tests: a real pty pair made by socat, the simulator process on
 * one end, a temporary studio database. Without socat the tests skip loudly — except under CI,
 * where a missing socat is a failure (`.ci/run` installs it).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSerialConfig } from '../../../devices/serial/config.js'
import { SerialDevice } from '../../../devices/serial/serial-device.js'
import {
  hasSocat,
  openPtyPair,
  startSimulator,
  startSimulatorOnPty,
  type PtyPair,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../../devices/sim/launch.js'
import { inspectModel } from '../../../main/model/inspect.js'
import { Studio } from '../../../main/studio.js'

export const ROOT = join(import.meta.dirname, '..', '..', '..')
export const RESNET8 = join(ROOT, 'resources', 'models', 'resnet8.onnx')

export const SOCAT = hasSocat()
if (!SOCAT) {
  const msg =
    "socat is missing: the serial pty integration tests need the 'socat' package (apt-get install socat)."
  if (process.env.CI === 'true') throw new Error(msg)
  process.stderr.write(`\n!!! SKIPPING serial pty tests: ${msg}\n\n`)
}

export interface SimBoard {
  pty: PtyPair
  sim: RunningSimulator
  dir: string
  /** A SerialDevice on the host end with test-friendly timeouts. */
  device(extra?: Record<string, unknown>): SerialDevice
  studio(): Studio
  close(): Promise<void>
}

/** `direct`: one pty whose master the simulator holds (socat …,nofork) instead of a relayed pair. */
export async function simBoard(
  o: Omit<SimulatorOptions, 'port' | 'model'> & { model?: string; direct?: boolean } = {},
): Promise<SimBoard> {
  const { direct, ...sopts } = o
  let pty: PtyPair
  let sim: RunningSimulator
  if (direct) {
    const s = await startSimulatorOnPty({ ...sopts, model: o.model ?? RESNET8 })
    sim = s
    pty = { host: s.path, device: 'stdio', close: async () => undefined }
  } else {
    pty = await openPtyPair()
    sim = await startSimulator({ ...sopts, port: pty.device, model: o.model ?? RESNET8 })
  }
  const dir = mkdtempSync(join(tmpdir(), 'edgebench-serial-test-'))
  const devices: SerialDevice[] = []
  const studios: Studio[] = []
  return {
    pty,
    sim,
    dir,
    device(extra = {}) {
      const d = new SerialDevice({
        name: 'sim',
        config: parseSerialConfig(
          { path: pty.host, commandTimeoutMs: 500, bannerMs: 1000, windowSeconds: 0.3, ...extra },
          'sim',
        ),
        describeModel: async (path) => {
          const r = await inspectModel(path)
          return { inputs: r.inputs, outputs: r.outputs }
        },
      })
      devices.push(d)
      return d
    },
    studio() {
      const s = Studio.open({ dbPath: join(dir, 'studio.db') })
      studios.push(s)
      return s
    },
    async close() {
      for (const d of devices) await d.close()
      for (const s of studios) await s.close()
      await sim.stop()
      await pty.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
