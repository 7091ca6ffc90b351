/**
 * `npm run bench:serial` — the serial host's own cost and its timing accuracy, over a real pty with
 * the simulator on the far end. The simulator holds the pty's master (socat makes the pty and
 * steps aside), as a USB-serial driver sits behind /dev/ttyACM0; the same over a socat-relayed
 * pty pair, where a third process copies every byte, is measured for comparison in interleaved
 * rounds (tools/bench/ab.ts: direct, relay / relay, direct, …; relay/direct = median of per-round
 * ratios with its spread):
 *  (a) accuracy mode, simulator unthrottled: Fashion-MNIST samples per second through the whole
 *      studio pipeline (dataset → raw bytes → 26 db chunks + infer per sample → store); target ≥ 200;
 *  (b) performance mode, simulator throttled to 2,000 µs per inference: the reported median
 *      latency vs the configured time; target error ≤ 0.5 %.
 * Options: --samples N (default 1000), --rounds N (default 3), --window-seconds S (default 2), --json.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { median } from '../../common/stats.js'
import {
  DEFAULT_LATENCY_SPEC,
  DEFAULT_SESSION_OPTIONS,
  type BenchResult,
  type EvalResult,
} from '../../common/types.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { Board } from '../../devices/serial/board.js'
import { DEFAULT_LINE } from '../../devices/serial/link.js'
import { openPtyPair, startSimulator, startSimulatorOnPty } from '../../devices/sim/launch.js'
import { addSerialDevice, boardModelFor } from '../../main/serial-setup.js'
import { Studio } from '../../main/studio.js'
import { abRounds, formatRatio, interleave, ratioOf } from './ab.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const MODEL = join(ROOT, 'resources', 'models', 'resnet8.onnx')
const out = (s = ''): void => void process.stdout.write(`${s}\n`)
const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    'window-seconds': { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
})

/** How the simulator is reached: one pty it holds the master of, or a pty pair socat relays. */
type Link = 'direct' | 'relay'

interface SimEnd {
  path: string
  process: ChildProcess
  stop(): Promise<void>
}

async function startSim(link: Link, usPer?: number): Promise<SimEnd> {
  const o = { model: MODEL, ...(usPer !== undefined ? { usPerInference: usPer } : {}) }
  if (link === 'direct') return startSimulatorOnPty(o)
  const pty = await openPtyPair()
  const sim = await startSimulator({ ...o, port: pty.device })
  return {
    path: pty.host,
    process: sim.process,
    stop: async () => {
      await sim.stop()
      await pty.close()
    },
  }
}

async function withBoard<T>(
  link: Link,
  usPer: number | undefined,
  windowSeconds: number,
  fn: (s: Studio, modelId: number) => Promise<T>,
): Promise<T> {
  const tmp = mkdtempSync(join(tmpdir(), 'edgebench-bench-serial-'))
  const sim = await startSim(link, usPer)
  const studio = Studio.open({ dbPath: join(tmp, 'studio.db') })
  try {
    const added = await addSerialDevice(studio, {
      name: 'sim',
      path: sim.path,
      model: MODEL,
      dataset: 'fashion-mnist',
      windowSeconds,
    })
    if (added.probeError) throw new Error(added.probeError.message)
    return await fn(studio, (await boardModelFor(studio, 'sim')).id)
  } finally {
    await studio.close()
    await sim.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

/** Median µs per command round trip (`db <31 bytes>%` → `m-ready`) through the studio's host. */
async function roundTripUs(device: 'echo' | Link, count = 3000): Promise<number> {
  let end: SimEnd
  if (device === 'echo') {
    const pty = await openPtyPair()
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'tools', 'bench', 'serial-echo.ts'), pty.device],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    await new Promise<void>((r) => child.stderr?.once('data', () => r()))
    end = {
      path: pty.host,
      process: child,
      stop: async () => {
        child.kill('SIGTERM')
        await pty.close()
      },
    }
  } else end = await startSim(device)
  const board = await Board.open({ ...DEFAULT_LINE, path: end.path })
  try {
    const cmd = `db ${'a5'.repeat(31)}`
    const laps: number[] = []
    for (let round = 0; round < 5; round++) {
      const t = performance.now()
      for (let i = 0; i < count / 5; i++) await board.host.command(cmd, { timeoutMs: 2000 })
      laps.push(((performance.now() - t) * 1000) / (count / 5))
    }
    return median(laps)
  } finally {
    await board.close()
    await end.stop()
  }
}

/** One accuracy-mode evaluation through the whole studio; samples per second and top-1. */
async function accuracyRound(link: Link, samples: number, windowSeconds: number): Promise<[number, number]> {
  return withBoard(link, undefined, windowSeconds, async (studio, modelId) => {
    const t = performance.now()
    const run = await studio.runAndWait({
      kind: 'eval',
      modelId,
      deviceName: 'sim',
      session: DEFAULT_SESSION_OPTIONS,
      dataset: 'fashion-mnist',
      limit: samples,
    })
    if (run.status !== 'finished') throw new Error(run.error ?? run.status)
    return [samples / ((performance.now() - t) / 1000), (run.result as EvalResult).top1]
  })
}

async function main(): Promise<void> {
  const samples = Number(values.samples)
  const rounds = Number(values.rounds)
  const windowSeconds = Number(values['window-seconds'])
  let top1 = 0
  const accuracy = await abRounds({
    rounds,
    a: async () => {
      const [rate, t1] = await accuracyRound('direct', samples, windowSeconds)
      top1 = t1
      return rate
    },
    b: async () => (await accuracyRound('relay', samples, windowSeconds))[0],
    onRound: (r, direct, relay) => {
      if (!values.json)
        out(
          `accuracy round ${r + 1}: ${samples} samples at ${direct.toFixed(0)} samples/s over one pty (simulator on its master), ${relay.toFixed(0)} over a socat-relayed pair (top-1 ${(top1 * 100).toFixed(2)} %)`,
        )
    },
  })
  const rates = accuracy.a
  const relayRate = accuracy.bMedian
  const target = 2000
  const errors: number[] = []
  await withBoard('direct', target, windowSeconds, async (studio, modelId) => {
    for (let r = 0; r < rounds; r++) {
      const run = await studio.runAndWait({
        kind: 'bench',
        modelId,
        deviceName: 'sim',
        session: DEFAULT_SESSION_OPTIONS,
        latency: DEFAULT_LATENCY_SPEC,
      })
      if (run.status !== 'finished') throw new Error(run.error ?? run.status)
      const p50 = (run.result as BenchResult).latencyUs.p50
      errors.push(Math.abs(p50 - target) / target)
      if (!values.json)
        out(
          `performance round ${r + 1}: median window latency ${p50.toFixed(2)} µs vs ${target} µs configured (error ${((Math.abs(p50 - target) / target) * 100).toFixed(3)} %)`,
        )
    }
  })
  // Three arms in rotating order per round; each ratio is per round against the direct link.
  const trips = await interleave({
    rounds,
    arms: {
      direct: () => roundTripUs('direct'),
      relay: () => roundTripUs('relay'),
      echo: () => roundTripUs('echo'),
    },
  })
  const directUs = median(trips.direct)
  const relayUs = median(trips.relay)
  const echoUs = median(trips.echo)
  const relayVsDirect = ratioOf(trips.direct, trips.relay)
  if (!values.json)
    out(
      `command round trip (db with 31 bytes → m-ready): ${directUs.toFixed(0)} µs to the simulator on one pty; over the socat pair ${relayUs.toFixed(0)} µs to the simulator (relay/direct ${formatRatio(relayVsDirect, 2)}), ${echoUs.toFixed(0)} µs to a bare echo`,
    )
  const summary = {
    roundTripDirectUs: directUs,
    roundTripRelayUs: relayUs,
    roundTripRelayEchoUs: echoUs,
    accuracySamplesPerSecond: median(rates),
    accuracyRelaySamplesPerSecond: relayRate,
    accuracyRelayOverDirect: { ratio: accuracy.ratio, spread: accuracy.spread, rounds: accuracy.rounds },
    roundTripRelayOverDirect: { ratio: relayVsDirect.ratio, spread: relayVsDirect.spread, rounds: relayVsDirect.rounds },
    accuracyTarget: 200,
    top1,
    latencyErrorPercent: median(errors) * 100,
    latencyErrorMaxPercent: Math.max(...errors) * 100,
    latencyTargetPercent: 0.5,
  }
  if (values.json) return void out(JSON.stringify(summary, null, 2))
  out(`accuracy throughput relay/direct ${formatRatio(accuracy, 2)}`)
  out(
    `\nmedian accuracy throughput ${summary.accuracySamplesPerSecond.toFixed(0)} samples/s over one pty (target ≥ 200): ${summary.accuracySamplesPerSecond >= 200 ? 'met' : 'NOT met'}`,
  )
  out(
    `median latency error ${summary.latencyErrorPercent.toFixed(3)} % (max ${summary.latencyErrorMaxPercent.toFixed(3)} %, target ≤ 0.5 %): ${summary.latencyErrorMaxPercent <= 0.5 ? 'met' : 'NOT met'}`,
  )
}

await main()
