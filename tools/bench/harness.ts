/**
 * `npm run bench:harness` — checks that the local device measures what ORT itself would measure.
 *
 * For every zoo model (resources/models/*.json, file = card.file), in one run:
 *  (a) a bare loop of `session.run` timed with hrtime in this process, and
 *  (b) the local device's benchmark (runner child process, streamed samples),
 * measured in interleaved rounds (tools/bench/ab.ts: A B, B A, …) so drift on a shared machine hits
 * both alike; the median of the per-round ratios device/bare must be within 3 % (or 5 µs) of 1, and
 * its spread over the rounds is printed beside it. Then
 *  (c) evaluation throughput: raw batched ORT over the 10,000 preprocessed test images in memory vs
 * the studio's whole evaluate pipeline (main/data reader and preprocessing, IPC, runner); target ≥ 80 %.
 *
 * Options: --json (machine-readable result), --models a,b (subset by name), --rounds N (default 5),
 * --eval-rounds N (default 3), --no-eval, --file model.onnx (one ad-hoc 1×28×28 model instead of the zoo).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { median } from '../../common/stats.js'
import { abRounds, formatDiffPct, formatRatio, type RatioSummary } from './ab.js'
import { DEFAULT_SESSION_OPTIONS, type LatencySpec, type PreprocessSpec } from '../../common/types.js'
import type { Batch, Deployment } from '../../devices/device.js'
import { LocalDevice } from '../../devices/local/local-device.js'
import { createSession, makeFeeds } from '../../devices/local/measure.js'
import { batches } from '../../main/data/batches.js'
import type { Dataset } from '../../main/data/dataset.js'
import { resolveDataset } from '../../main/data/datasets.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const MODELS_DIR = join(ROOT, 'resources', 'models')
const TEST_IMAGES = join(ROOT, 'resources', 'datasets', 'fashion-mnist', 't10k-images-idx3-ubyte.gz')
const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'tiny-cnn.onnx')
const SPEC: LatencySpec = {
  warmupRuns: 10,
  warmupMs: 500,
  minRuns: 300,
  minMs: 2000,
  maxMs: 60_000,
  profile: false,
}
const EVAL_BATCH = 100
/** Preprocessing of the fixture and of `--file` models: pixels scaled to [0, 1], 1×28×28. */
const FIXTURE_PRE: PreprocessSpec = {
  layout: 'NCHW',
  channels: 1,
  height: 28,
  width: 28,
  scale: 1 / 255,
  mean: [0],
  std: [1],
}

interface HarnessModel {
  name: string
  path: string
  pre: PreprocessSpec
}

interface LatencyRow {
  model: string
  /** Medians of the per-round medians. */
  bareMedianUs: number
  deviceMedianUs: number
  /** device/bare: median of the per-round ratios and their spread. */
  ratio: RatioSummary
  diffPct: number
  withinTarget: boolean
  roundMediansUs: { bare: number[]; device: number[] }
}

interface EvalRow {
  model: string
  images: number
  rawImagesPerS: number
  deviceImagesPerS: number
  /** device/raw throughput: median of the per-round ratios. */
  ratio: number
  spread: [number, number]
  meetsTarget: boolean
  top1AgreementWithRaw: number
  roundImagesPerS: { raw: number[]; device: number[] }
}

const out = (s: string): void => void process.stdout.write(s + '\n')
const log = (s: string): void => void process.stderr.write(s + '\n')

interface Args {
  json: boolean
  models: string[] | null
  file: string | undefined
  rounds: number
  evalRounds: number
  evalOn: boolean
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    return i >= 0 ? argv[i + 1] : undefined
  }
  return {
    json: argv.includes('--json'),
    models: value('--models')?.split(',') ?? null,
    file: value('--file'),
    rounds: Number(value('--rounds') ?? 5),
    evalRounds: Number(value('--eval-rounds') ?? 3),
    evalOn: !argv.includes('--no-eval'),
  }
}

/** Zoo cards; until the zoo exists, the test fixture stands in so the harness still runs. */
function zooModels(only: string[] | null, file: string | undefined): HarnessModel[] {
  if (file) return [{ name: basename(file), path: file, pre: FIXTURE_PRE }]
  const cards = existsSync(MODELS_DIR)
    ? readdirSync(MODELS_DIR)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : []
  const models: HarnessModel[] = []
  for (const f of cards) {
    const card = JSON.parse(readFileSync(join(MODELS_DIR, f), 'utf8')) as {
      name?: string
      file?: string
      preprocessing?: PreprocessSpec
    }
    if (!card.file || !card.preprocessing) continue
    const path = join(MODELS_DIR, card.file)
    if (existsSync(path)) models.push({ name: card.name ?? card.file, path, pre: card.preprocessing })
  }
  if (models.length === 0) {
    log('No zoo models in resources/models yet; using the test fixture tiny-cnn.onnx')
    models.push({
      name: 'tiny-cnn (fixture)',
      path: FIXTURE,
      pre: FIXTURE_PRE,
    })
  }
  return only ? models.filter((m) => only.includes(m.name)) : models
}

/** (a) The bare loop: nothing but hrtime around session.run, same options and inputs as the device. */
async function bareRound(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<number[]> {
  const warmStart = performance.now()
  for (let i = 0; i < SPEC.warmupRuns || performance.now() - warmStart < SPEC.warmupMs; i++)
    await session.run(feeds)
  const samples: number[] = []
  const start = performance.now()
  while (samples.length < SPEC.minRuns || performance.now() - start < SPEC.minMs) {
    const a = process.hrtime.bigint()
    await session.run(feeds)
    samples.push(Number(process.hrtime.bigint() - a) / 1000)
  }
  return samples
}

async function latencyRow(device: LocalDevice, m: HarnessModel, rounds: number): Promise<LatencyRow> {
  const { session } = await createSession(m.path, DEFAULT_SESSION_OPTIONS)
  const feeds = makeFeeds(session)
  try {
    const r = await abRounds({
      rounds,
      a: async () => median(await bareRound(session, feeds)),
      b: async () => {
        // A fresh runner each round, as the studio gives every benchmark.
        const dep = await device.prepare({ name: m.name, path: m.path }, DEFAULT_SESSION_OPTIONS)
        return median((await device.benchmark(dep, SPEC)).samplesUs)
      },
      onRound: (i, a, b) => log(`  round ${i + 1}: bare ${a.toFixed(1)} µs, device ${b.toFixed(1)} µs`),
    })
    return {
      model: m.name,
      bareMedianUs: r.aMedian,
      deviceMedianUs: r.bMedian,
      ratio: { ratio: r.ratio, spread: r.spread, ratios: r.ratios, rounds: r.rounds },
      diffPct: (r.ratio - 1) * 100,
      withinTarget: Math.abs(r.ratio - 1) * r.aMedian <= Math.max(0.03 * r.aMedian, 5),
      roundMediansUs: { bare: r.a, device: r.b },
    }
  } finally {
    await session.release()
  }
}

/** Every batch of the split, preprocessed once and held in memory: the raw run's input. */
async function allBatches(dataset: Dataset, pre: PreprocessSpec): Promise<Batch[]> {
  const out: Batch[] = []
  for await (const b of batches(dataset, pre, EVAL_BATCH)) out.push(b)
  return out
}

/** (c-raw) Batched ORT over images already preprocessed in memory: the ceiling. */
async function rawEval(
  session: ort.InferenceSession,
  all: Batch[],
): Promise<{ seconds: number; scores: Float32Array }> {
  const name = session.inputNames[0] as string
  const outName = session.outputNames[0] as string
  const parts: Float32Array[] = []
  const t0 = performance.now()
  for (const b of all) {
    const r = await session.run({ [name]: new ort.Tensor('float32', b.data, b.dims) })
    parts.push(r[outName]?.data as Float32Array)
  }
  const seconds = (performance.now() - t0) / 1000
  const scores = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    scores.set(p, at)
    at += p.length
  }
  return { seconds, scores }
}

/** (c-device) The studio's whole pipeline: dataset reader → preprocessing → device.evaluate. */
async function deviceEval(
  device: LocalDevice,
  dep: Deployment,
  dataset: Dataset,
  pre: PreprocessSpec,
): Promise<{ seconds: number; scores: Float32Array }> {
  const t0 = performance.now()
  const p = await device.evaluate(dep, batches(dataset, pre, EVAL_BATCH), dataset.count)
  return { seconds: (performance.now() - t0) / 1000, scores: p.scores }
}

function agreement(a: Float32Array, b: Float32Array, count: number): number {
  const k = a.length / count
  let same = 0
  for (let r = 0; r < count; r++) {
    let ia = 0
    let ib = 0
    for (let c = 1; c < k; c++) {
      if ((a[r * k + c] as number) > (a[r * k + ia] as number)) ia = c
      if ((b[r * k + c] as number) > (b[r * k + ib] as number)) ib = c
    }
    if (ia === ib) same++
  }
  return same / count
}

async function evalRow(device: LocalDevice, m: HarnessModel, rounds: number): Promise<EvalRow> {
  const dataset = await resolveDataset('fashion-mnist', { split: 'test' })
  const count = dataset.count
  const all = await allBatches(dataset, m.pre)
  const { session } = await createSession(m.path, DEFAULT_SESSION_OPTIONS)
  const dep = await device.prepare({ name: m.name, path: m.path }, DEFAULT_SESSION_OPTIONS)
  const scores: { raw?: Float32Array; device?: Float32Array } = {}
  let agree = 1
  try {
    await rawEval(session, all.slice(0, 10)) // warm-up
    const r = await abRounds({
      rounds,
      a: async () => {
        const a = await rawEval(session, all)
        scores.raw = a.scores
        return count / a.seconds
      },
      b: async () => {
        const b = await deviceEval(device, dep, dataset, m.pre)
        scores.device = b.scores
        return count / b.seconds
      },
      onRound: () => {
        if (scores.raw && scores.device) agree = Math.min(agree, agreement(scores.raw, scores.device, count))
      },
    })
    return {
      model: m.name,
      images: count,
      rawImagesPerS: r.aMedian,
      deviceImagesPerS: r.bMedian,
      ratio: r.ratio,
      spread: r.spread,
      meetsTarget: r.ratio >= 0.8,
      top1AgreementWithRaw: agree,
      roundImagesPerS: { raw: r.a, device: r.b },
    }
  } finally {
    await session.release()
  }
}

function printTables(lat: LatencyRow[], ev: EvalRow[]): void {
  const pad = (s: string, n: number): string => s.padEnd(n)
  out('Latency: medians of per-round medians; device/bare = median of the per-round ratios (spread over rounds)')
  out(`${pad('model', 20)} ${pad('bare µs', 9)} ${pad('device µs', 10)} ${pad('device/bare', 40)} within target`)
  for (const r of lat) {
    out(
      `${pad(r.model, 20)} ${pad(r.bareMedianUs.toFixed(1), 9)} ${pad(r.deviceMedianUs.toFixed(1), 10)} ${pad(formatDiffPct(r.ratio, 2), 40)} ${r.withinTarget ? 'yes' : 'NO'}`,
    )
  }
  if (ev.length === 0) return
  out('')
  out(
    `${pad('model', 20)} ${pad('raw img/s', 10)} ${pad('device img/s', 12)} ${pad('device/raw', 34)} ≥ 80 %  agreement`,
  )
  for (const r of ev) {
    const summary = formatRatio({ ratio: r.ratio, spread: r.spread, ratios: [], rounds: r.roundImagesPerS.raw.length })
    out(
      `${pad(r.model, 20)} ${pad(r.rawImagesPerS.toFixed(0), 10)} ${pad(r.deviceImagesPerS.toFixed(0), 12)} ${pad(summary, 34)} ${pad(r.meetsTarget ? 'yes' : 'NO', 7)} ${(r.top1AgreementWithRaw * 100).toFixed(2)} %`,
    )
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const models = zooModels(args.models, args.file)
  const device = new LocalDevice({ name: 'harness' })
  const lat: LatencyRow[] = []
  const ev: EvalRow[] = []
  const errors: { model: string; stage: string; error: string }[] = []
  // One model failing (or not fitting the 28×28 test images) must not hide the others' figures.
  const attempt = async (model: string, stage: string, fn: () => Promise<void>): Promise<void> => {
    try {
      log(`${stage}: ${model}`)
      await fn()
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e)
      errors.push({ model, stage, error })
      log(`  failed: ${error}`)
    }
  }
  try {
    for (const m of models) {
      await attempt(m.name, 'latency', async () => void lat.push(await latencyRow(device, m, args.rounds)))
      if (args.evalOn && existsSync(TEST_IMAGES)) {
        await attempt(
          m.name,
          'evaluation throughput',
          async () => void ev.push(await evalRow(device, m, args.evalRounds)),
        )
      }
    }
  } finally {
    await device.close()
  }
  const env = await new LocalDevice().probe()
  if (args.json)
    out(
      JSON.stringify(
        { env, session: DEFAULT_SESSION_OPTIONS, spec: SPEC, latency: lat, evaluation: ev, errors },
        null,
        2,
      ),
    )
  else {
    printTables(lat, ev)
    for (const e of errors) out(`${e.model}: ${e.stage} failed: ${e.error}`)
  }
  if (errors.length > 0) process.exitCode = 1
}

await main()
