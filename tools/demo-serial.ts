/**
 * `npm run demo:serial` — the whole serial-board flow without a board: socat makes a pty pair,
 * the simulator serves one end with a zoo model (throttled to a few ms per inference, like an
 * MCU), and the studio registers it as a serial device and runs performance mode (short windows)
 * and accuracy mode on a few hundred Fashion-MNIST samples, then prints the results.
 *
 * Options: --db <file> (default: a temporary database, removed after), --model <onnx>,
 * --us-per-inference <n> (default 3000; 0 = unthrottled), --samples <n> (default 300),
 * --window-seconds <s> (default 1; MLPerf Tiny's rule is 10).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { toStudioError } from '../common/errors.js'
import { formatDuration, formatPercent } from '../common/format.js'
import {
  DEFAULT_LATENCY_SPEC,
  DEFAULT_SESSION_OPTIONS,
  type BenchResult,
  type EvalResult,
} from '../common/types.js'
import { openPtyPair, startSimulator, type PtyPair, type RunningSimulator } from '../devices/sim/launch.js'
import { addSerialDevice, boardModelFor } from '../main/serial-setup.js'
import { Studio } from '../main/studio.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = (s = ''): void => void process.stdout.write(`${s}\n`)

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    model: { type: 'string', default: join(ROOT, 'resources', 'models', 'resnet8.onnx') },
    'us-per-inference': { type: 'string', default: '3000' },
    samples: { type: 'string', default: '300' },
    'window-seconds': { type: 'string', default: '1' },
  },
})

async function main(): Promise<number> {
  const usPer = Number(values['us-per-inference'])
  const samples = Number(values.samples)
  const windowSeconds = Number(values['window-seconds'])
  const tmp = values.db === undefined ? mkdtempSync(join(tmpdir(), 'edgebench-serial-demo-')) : null
  const dbPath = values.db ?? join(tmp as string, 'studio.db')
  let pty: PtyPair | null = null
  let sim: RunningSimulator | null = null
  let studio: Studio | null = null
  try {
    pty = await openPtyPair()
    out(`pty pair: studio ↔ ${pty.host}   simulator ↔ ${pty.device}`)
    sim = await startSimulator({
      port: pty.device,
      model: values.model,
      ...(usPer > 0 ? { usPerInference: usPer } : {}),
      name: 'EdgeBench simulated MCU',
    })
    out(`simulator: ${values.model}, ${usPer > 0 ? `${usPer} µs per inference` : 'unthrottled'}`)
    studio = Studio.open({ dbPath })
    const added = await addSerialDevice(studio, {
      name: 'sim-board',
      path: pty.host,
      model: values.model,
      dataset: 'fashion-mnist',
      windowSeconds,
    })
    if (added.probeError) throw new Error(`${added.probeError.code}: ${added.probeError.message}`)
    out(
      `registered 'sim-board': board '${String(added.info?.extra?.board)}', model id '${String(added.info?.extra?.modelId)}'`,
    )
    const model = await boardModelFor(studio, 'sim-board')
    out(`runs are filed under studio model '${model.name}' (id ${model.id})`)

    out(`\nperformance mode: 5 windows of ≥ ${windowSeconds} s on 5 inputs…`)
    const bench = await studio.runAndWait({
      kind: 'bench',
      modelId: model.id,
      deviceName: 'sim-board',
      session: DEFAULT_SESSION_OPTIONS,
      latency: DEFAULT_LATENCY_SPEC,
    })
    if (bench.status !== 'finished') throw new Error(`bench ${bench.status}: ${bench.error?.message ?? ''}`)
    const b = bench.result as BenchResult
    const windows = (b.env.extra?.windows ?? []) as {
      n: number
      elapsedUs: number
      latencyUs: number
      throughput: number
    }[]
    for (const [i, w] of windows.entries()) {
      out(
        `  window ${i + 1}: N ${w.n}, elapsed ${formatDuration(w.elapsedUs)}, ${formatDuration(w.latencyUs)}/inference, ${w.throughput.toFixed(1)} inf/s`,
      )
    }
    out(
      `  median latency ${formatDuration(b.latencyUs.p50)}${usPer > 0 ? ` (configured ${formatDuration(usPer)}, error ${(((b.latencyUs.p50 - usPer) / usPer) * 100).toFixed(3)} %)` : ''}`,
    )

    out(`\naccuracy mode: ${samples} Fashion-MNIST test samples, raw bytes per sample…`)
    const started = performance.now()
    const ev = await studio.runAndWait({
      kind: 'eval',
      modelId: model.id,
      deviceName: 'sim-board',
      session: DEFAULT_SESSION_OPTIONS,
      dataset: 'fashion-mnist',
      limit: samples,
    })
    if (ev.status !== 'finished') throw new Error(`eval ${ev.status}: ${ev.error?.message ?? ''}`)
    const e = ev.result as EvalResult
    const secs = (performance.now() - started) / 1000
    out(
      `  top-1 ${formatPercent(e.top1, 2)}, top-5 ${formatPercent(e.top5, 2)} on ${e.count} samples (${(e.count / secs).toFixed(0)} samples/s over the pty)`,
    )
    const t = b.env.extra?.transcript as { commands?: number; lines?: number } | undefined
    out(`\ntranscript: ${t?.commands ?? '?'} commands, ${t?.lines ?? '?'} lines during the benchmark`)
    out(
      tmp
        ? 'results were in a temporary database (pass --db <file> to keep them)'
        : `results stored in ${dbPath}`,
    )
    return 0
  } catch (err) {
    const e = toStudioError(err)
    process.stderr.write(`demo:serial: ${e.code}: ${e.message}\n`)
    return 1
  } finally {
    await studio?.close()
    await sim?.stop()
    await pty?.close()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  }
}

process.exitCode = await main()
