/**
 * The serial part of the campaign: bad device-under-test behaviours, each a whole bench or eval
 * run through the studio (orchestrator, store) on a SerialDevice whose port is the simulator of
 * devices/sim in this process, behind a transport that corrupts, splits, floods, silences or
 * unplugs. Every run must end (no hang) in a final state with a known error code and a one-line
 * message (no crash), and what it stored must agree with what it reports (nothing lost).
 */
import { join } from 'node:path'
import type { EvalResult, BenchResult, RunRecord } from '../../common/types.js'
import { DEFAULT_SESSION_OPTIONS } from '../../common/types.js'
import type { HostTransport } from '../../devices/serial/host.js'
import { Board } from '../../devices/serial/board.js'
import { parseSerialConfig } from '../../devices/serial/config.js'
import { SerialDevice } from '../../devices/serial/serial-device.js'
import { DutSimulator, type DutModel } from '../../devices/sim/dut.js'
import { parseFault } from '../../devices/sim/faults.js'
import { loadSimModel } from '../../devices/sim/model.js'
import { inspectModel } from '../../main/model/inspect.js'
import { Studio } from '../../main/studio.js'
import type { CaseResult } from './outcome.js'

const ROOT = join(import.meta.dirname, '..', '..')
const RESNET8 = join(ROOT, 'resources', 'models', 'resnet8.onnx')
const EVAL_SAMPLES = 8
/** Far beyond any wait the protocol allows (two cold-inference timeouts of 2 s, recoveries): a hang. */
const CASE_LIMIT_MS = 120_000

type Rng = () => number
const int = (r: Rng, n: number): number => Math.floor(r() * n)
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)] as T

/** What the wire does to bytes, on top of the simulator's own faults. */
export interface WireFaults {
  corruptToHost: number
  corruptToBoard: number
  /** Bytes per chunk delivered to the host (0: whole writes). */
  split: number
  unplugAfter: number | null
  silenceAfter: number | null
  noiseEvery: number
  longLineAt: number | null
}

function wireFaults(r: Rng): WireFaults {
  const w: WireFaults = { corruptToHost: 0, corruptToBoard: 0, split: 0, unplugAfter: null, silenceAfter: null, noiseEvery: 0, longLineAt: null }
  switch (int(r, 9)) {
    case 0: w.corruptToHost = 0.0005 + r() * 0.005; break
    case 1: w.corruptToBoard = 0.0005 + r() * 0.005; break
    case 2: w.split = 1 + int(r, 7); break
    case 3: w.unplugAfter = int(r, 3_000); break
    case 4: w.silenceAfter = int(r, 3_000); break
    case 5: w.noiseEvery = 1 + int(r, 20); break
    case 6: w.longLineAt = int(r, 3_000); break
    default: break // the simulator's faults only
  }
  return w
}

/** The simulator behind a faulty wire, as the host's transport. */
export function simTransport(model: DutModel, faults: string[], w: WireFaults, r: Rng): HostTransport {
  let toHost: ((chunk: Uint8Array) => void) | null = null
  let closeHost: ((err: Error | null) => void) | null = null
  let sent = 0
  let writes = 0
  let silent = false
  const mangle = (bytes: Buffer, p: number): Buffer => {
    if (p > 0) for (let i = 0; i < bytes.length; i++) if (r() < p) bytes[i] = int(r, 256)
    return bytes
  }
  const deliver = (text: string): void => {
    let bytes = mangle(Buffer.from(text, 'latin1'), w.corruptToHost)
    if (w.noiseEvery > 0 && ++writes % w.noiseEvery === 0) bytes = Buffer.concat([Buffer.from('\u0000\u00ffnoise line\r\n', 'latin1'), bytes])
    if (w.longLineAt !== null && sent <= w.longLineAt && sent + bytes.length > w.longLineAt) bytes = Buffer.concat([Buffer.alloc(1024 * 1024, 0x41), bytes])
    if (w.unplugAfter !== null && sent + bytes.length > w.unplugAfter) {
      const cut = closeHost
      toHost = null
      closeHost = null
      setImmediate(() => cut?.(new Error('the board was unplugged')))
      return
    }
    // A board that goes quiet stays quiet (it answers neither the command nor a resync).
    if (silent || (w.silenceAfter !== null && sent + bytes.length > w.silenceAfter)) {
      silent = true
      return
    }
    sent += bytes.length
    const step = w.split > 0 ? w.split : bytes.length
    for (let i = 0; i < bytes.length; i += step) {
      const piece = bytes.subarray(i, i + step)
      setImmediate(() => toHost?.(piece))
    }
  }
  const dut = new DutSimulator({
    name: 'fuzz-dut',
    modelId: 'resnet8',
    profile: 'EdgeBench fuzz simulator',
    model,
    usPerInference: null,
    clockStartUs: r() < 0.3 ? 2 ** 32 - int(r, 2_000_000) : int(r, 1e9),
    faults: faults.map(parseFault),
    write: deliver,
  })
  return {
    start(onData, onClose) {
      toHost = onData
      closeHost = onClose
      if (r() < 0.5) dut.banner() // some boards reset when the port opens
    },
    write(text) {
      const bytes = mangle(Buffer.from(text, 'latin1'), w.corruptToBoard)
      setImmediate(() => dut.receive(bytes))
    },
    close: async () => {
      toHost = null
      closeHost = null
    },
  }
}

/** Faults aimed where they fire: a bench sends ~7 infers and ~180 db chunks, an eval 8 and ~210. */
function simFaults(r: Rng): string[] {
  const reach: Record<string, number> = { any: 200, name: 2, profile: 2, db: 180, infer: 7 }
  return Array.from({ length: int(r, 3) }, () => {
    const kind = pick(r, ['garbage', 'drop', 'reset', 'error', 'stuck-clock', 'backwards-clock'])
    const command = kind.endsWith('clock') ? 'infer' : pick(r, Object.keys(reach))
    return `${kind}@${command}#${1 + int(r, reach[command] ?? 1)}`
  })
}

/** What the stored run must agree with; a description of the disagreement, or null. */
function disagreement(studio: Studio, run: RunRecord): string | null {
  if (run.status === 'queued' || run.status === 'running') return `left ${run.status}`
  if (run.kind === 'bench') {
    const n = studio.store.getSamples(run.id).length
    if (run.status === 'finished' && n !== (run.result as BenchResult).latencyUs.count) return `${n} samples stored, result counts ${(run.result as BenchResult).latencyUs.count}`
    return null
  }
  const stored = studio.store.getPredictions(run.id).indices
  let prefix = 0
  while (prefix < stored.length && stored[prefix] === prefix) prefix++
  const r = run.result as EvalResult | null
  if (run.status === 'finished' && (prefix < EVAL_SAMPLES || r?.count !== EVAL_SAMPLES)) return `finished with ${prefix} of ${EVAL_SAMPLES} predictions stored`
  if (run.status !== 'finished' && r !== null && r.count !== Math.min(prefix, EVAL_SAMPLES)) return `partial result counts ${r.count}, ${prefix} stored in order`
  return null
}

/** One bench or eval run on the simulated board, judged; a run that ended is added to `ended`. */
async function oneRun(studio: Studio, modelId: number, kind: 'bench' | 'eval', what: string, ended: RunRecord[]): Promise<CaseResult> {
  const id = studio.startRun({ kind, modelId, deviceName: 'sim', session: DEFAULT_SESSION_OPTIONS, ...(kind === 'eval' ? { dataset: 'fashion-mnist', limit: EVAL_SAMPLES } : {}) })
  const timer = new Promise<'hang'>((res) => setTimeout(() => res('hang'), CASE_LIMIT_MS).unref())
  const outcome = await Promise.race([studio.runs.wait(id), timer])
  if (outcome === 'hang') {
    studio.runs.cancel(id)
    await studio.runs.wait(id)
    return { what, verdict: 'hang', detail: `still active after ${CASE_LIMIT_MS / 1000} s` }
  }
  const run = studio.store.getRun(id) as RunRecord
  ended.push(run)
  const lost = disagreement(studio, run)
  const err = run.error
  if (lost) return { what, verdict: 'lost', detail: lost }
  if (err && (err.code === 'INTERNAL' || err.message.includes('\n') || err.message === '')) {
    return { what, verdict: err.code === 'INTERNAL' ? 'crash' : 'bad-refusal', detail: `${err.code}: ${err.message}` }
  }
  return { what, verdict: run.status === 'finished' ? 'accepted' : 'refused', ...(err ? { detail: `${err.code}: ${err.message.slice(0, 200)}` } : {}) }
}

export async function serialPart(dir: string, r: Rng, runs: number, log: (line: string) => void): Promise<CaseResult[]> {
  const model = await loadSimModel(RESNET8)
  let transport: () => HostTransport = () => simTransport(model, [], wireFaults(r), r)
  const studio = Studio.open({
    dbPath: join(dir, 'serial.db'),
    deviceFactories: {
      serial: (row) =>
        new SerialDevice({
          name: row.name,
          config: parseSerialConfig(row.config, row.name),
          describeModel: async (path) => {
            const i = await inspectModel(path)
            return { inputs: i.inputs, outputs: i.outputs }
          },
          open: (timeouts, signal) => Board.over(transport(), 'fuzz-sim', timeouts, signal),
        }),
    },
  })
  const results: CaseResult[] = []
  const ended: RunRecord[] = []
  try {
    const modelId = (await studio.importModel(RESNET8)).id
    studio.store.upsertDevice({
      name: 'sim',
      kind: 'serial',
      config: { path: 'fuzz-sim', studioModelId: modelId, boardModel: 'resnet8', dataset: 'fashion-mnist', windowSeconds: 0.02, commandTimeoutMs: 150, bannerMs: 300, lineTimeoutMs: 2000 },
    })
    for (let i = 0; i < runs; i++) {
      const faults = simFaults(r)
      const wire = wireFaults(r)
      transport = () => simTransport(model, faults, wire, r)
      const kind = r() < 0.5 ? 'bench' : 'eval'
      const what = `serial ${i}: ${kind}, sim [${faults.join(' ')}], wire ${JSON.stringify(Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== 0 && v !== null)))}`
      results.push(await oneRun(studio, modelId, kind, what, ended))
      await studio.devices.drop('sim')
      if ((i + 1) % 100 === 0) log(`  serial: ${i + 1} of ${runs} runs`)
    }
    // Nothing a later run did may change what an earlier one stored.
    for (const before of ended) {
      const now = studio.store.getRun(before.id)
      if (!now || now.status !== before.status || disagreement(studio, now)) {
        results.push({ what: `run ${before.id} at the end`, verdict: 'lost', detail: `was ${before.status}, now ${now?.status ?? 'gone'}` })
      }
    }
  } finally {
    await studio.close()
    await model.close()
  }
  return results
}
