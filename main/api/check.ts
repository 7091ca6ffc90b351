/**
 * `edgebench check`: the two sides of the CI gate from what the user names — a stored run id, a
 * results.json (with the latency samples it carries, else each row's CI), or a model file, which
 * is benchmarked on the device first (with the baseline's settings) and evaluated when the baseline
 * has an accuracy figure (same dataset, split and sample count). Then common/check.ts judges.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { runCheck, type CheckLimits, type CheckReport, type CheckSide } from '../../common/check.js'
import { StudioError } from '../../common/errors.js'
import type { BenchResult, EvalResult, LatencySpec, Progress, RunRecord, SessionOptions } from '../../common/types.js'
import { LOCAL_DEVICE } from '../bench/device-registry.js'
import { runSpec } from '../bench/run-spec.js'
import { pickRow, readResultsJson } from '../report/json-read.js'
import type { Studio } from '../studio.js'

export interface CheckRequest {
  baseline: string
  candidate: string
  /** Where a model-file candidate is measured; default the baseline's device, else local. */
  device?: string
  /** The row of a results.json with several. */
  model?: string
  limits: CheckLimits
  /** Overrides of the latency rules for a model-file candidate (e.g. a shorter minMs in CI). */
  latency?: Partial<LatencySpec>
  signal?: AbortSignal
  onProgress?: (label: string, p: Progress) => void
}

/** What measuring a model file again needs to know of the baseline. */
interface Settings {
  device: string | null
  session?: Partial<SessionOptions>
  latency?: Partial<LatencySpec>
  dataset?: { name: string; split?: string; count: number }
}

type Loaded = { side: CheckSide; settings: Settings }

const finishedOnly = (run: RunRecord): RunRecord => {
  if (run.status !== 'finished') {
    throw new StudioError('BAD_INPUT', `Run ${run.id} is ${run.status}; a check compares finished runs. See 'edgebench runs show ${run.id}'.`)
  }
  return run
}

/** The newest finished run of the other kind for the same model and device, to complete a side. */
function companion(studio: Studio, run: RunRecord, kind: 'bench' | 'eval'): RunRecord | null {
  if (run.kind === kind) return run
  return studio.store.listRuns({ kind, status: 'finished', modelId: run.modelId, deviceName: run.deviceName, limit: 1 })[0] ?? null
}

async function sizeOf(studio: Studio, modelId: number): Promise<number | null> {
  try {
    return (await studio.inspect(modelId)).fileBytes
  } catch {
    return null // a model file moved away: its runs still compare
  }
}

async function fromRun(studio: Studio, id: number): Promise<Loaded> {
  const run = studio.store.getRun(id)
  if (!run) throw new StudioError('NOT_FOUND', `No run with id ${id}. See 'edgebench runs list'.`)
  finishedOnly(run)
  const bench = companion(studio, run, 'bench')
  const ev = companion(studio, run, 'eval')
  const b = bench?.result as BenchResult | undefined
  const e = ev?.result as EvalResult | undefined
  const spec = (bench?.spec ?? {}) as { session?: Partial<SessionOptions>; latency?: Partial<LatencySpec> }
  return {
    side: {
      source: `run #${id}`,
      model: run.modelName,
      device: run.deviceName,
      latency: b && bench ? { p50: b.latencyUs.p50, ci95: b.latencyUs.ci95, count: b.latencyUs.count, samplesUs: studio.store.getSamples(bench.id) } : null,
      top1: e?.top1 ?? null,
      evalCount: e?.count ?? null,
      dataset: e ? `${e.dataset} ${e.split}` : null,
      sizeBytes: await sizeOf(studio, run.modelId),
      runIds: [bench?.id, ev?.id].filter((x): x is number => x !== undefined),
    },
    settings: {
      device: run.deviceName,
      ...(spec.session ? { session: spec.session } : {}),
      ...(spec.latency ? { latency: spec.latency } : {}),
      ...(e ? { dataset: { name: e.dataset, split: e.split, count: e.count } } : {}),
    },
  }
}

async function fromResults(path: string, sel: { model?: string; device?: string }): Promise<Loaded> {
  const doc = readResultsJson(await readFile(path, 'utf8'), path)
  const row = pickRow(doc, path, sel)
  const benchId = row.benchRunId ?? (row.latencyP50Us !== undefined ? row.runId : undefined)
  const samples = benchId !== undefined ? doc.latencySamplesUs?.[String(benchId)] : undefined
  const ci = row.latencyCi95
  const name = row.datasetName
  return {
    side: {
      source: `${path} (${row.model} on ${row.device})`,
      model: row.model,
      device: row.device,
      latency: row.latencyP50Us !== undefined && ci ? { p50: row.latencyP50Us, ci95: ci, count: samples?.length ?? 0, ...(samples ? { samplesUs: samples } : {}) } : null,
      top1: row.top1 ?? null,
      evalCount: row.evalCount ?? null,
      dataset: name ? `${name} ${row.split ?? ''}`.trim() : (row.dataset ?? null),
      sizeBytes: row.fileBytes ?? null,
      runIds: [row.benchRunId, row.evalRunId].filter((x): x is number => x !== undefined),
    },
    settings: {
      device: row.device,
      ...(row.threads !== undefined ? { session: { threads: row.threads } } : {}),
      ...(name && row.evalCount !== undefined ? { dataset: { name, ...(row.split ? { split: row.split } : {}), count: row.evalCount } } : {}),
    },
  }
}

/** Benchmarks (and evaluates, when the baseline has accuracy) a model file like the baseline was. */
async function fromModelFile(studio: Studio, path: string, base: Settings, req: CheckRequest): Promise<Loaded> {
  const model = await studio.importModel(path)
  const device = req.device ?? base.device ?? LOCAL_DEVICE
  const row = studio.store.getDevice(device)
  if (!row) throw new StudioError('NOT_FOUND', `No device named '${device}'. See 'edgebench device list', or pass --device.`)
  if (row.kind === 'serial') {
    throw new StudioError('BAD_INPUT', `'${device}' is a serial board: it runs the model its firmware carries. Flash the candidate, bench it, and pass that run id as --candidate.`)
  }
  const measure = async (kind: 'bench' | 'eval'): Promise<RunRecord> => {
    const spec = runSpec({
      kind,
      modelId: model.id,
      deviceName: device,
      session: base.session,
      latency: { ...base.latency, ...req.latency },
      ...(kind === 'eval' && base.dataset ? { dataset: base.dataset.name, split: base.dataset.split, limit: base.dataset.count } : {}),
    })
    const id = studio.startRun(spec)
    const label = `${kind === 'bench' ? 'latency' : 'accuracy'} of ${model.name} on ${device}`
    const onProgress = (runId: number, p: Progress): void => {
      if (runId === id) req.onProgress?.(label, p)
    }
    const cancel = (): void => void studio.runs.cancel(id)
    studio.runs.on('progress', onProgress)
    req.signal?.addEventListener('abort', cancel, { once: true })
    try {
      const run = await studio.runs.wait(id)
      if (run.status === 'cancelled') throw new StudioError('CANCELLED', 'Check cancelled; the runs measured so far are kept.')
      if (run.status !== 'finished') throw new StudioError('DEVICE_ERROR', `The candidate's ${kind} run #${run.id} ${run.status}: ${run.error ?? 'no message'}.`)
      return run
    } finally {
      studio.runs.off('progress', onProgress)
      req.signal?.removeEventListener('abort', cancel)
    }
  }
  const bench = await measure('bench')
  const ev = base.dataset ? await measure('eval') : null
  const b = bench.result as BenchResult
  const e = ev?.result as EvalResult | undefined
  return {
    side: {
      source: `model file ${path}`,
      model: model.name,
      device,
      latency: { p50: b.latencyUs.p50, ci95: b.latencyUs.ci95, count: b.latencyUs.count, samplesUs: studio.store.getSamples(bench.id) },
      top1: e?.top1 ?? null,
      evalCount: e?.count ?? null,
      dataset: e ? `${e.dataset} ${e.split}` : null,
      sizeBytes: await sizeOf(studio, model.id),
      runIds: [bench.id, ...(ev ? [ev.id] : [])],
    },
    settings: { device },
  }
}

type RefKind = 'run' | 'results' | 'model'

function refKind(ref: string, which: string): RefKind {
  if (/^\d+$/.test(ref)) return 'run'
  if (!existsSync(ref)) {
    throw new StudioError('FILE_NOT_FOUND', `--${which} '${ref}' is neither a run id nor an existing file (a results.json or a model).`)
  }
  return ref.toLowerCase().endsWith('.json') ? 'results' : 'model'
}

export async function checkFor(studio: Studio, req: CheckRequest): Promise<CheckReport> {
  const bk = refKind(req.baseline, 'baseline')
  const ck = refKind(req.candidate, 'candidate')
  if (bk === 'model') {
    throw new StudioError('BAD_INPUT', '--baseline must be a run id or a results.json: a baseline is what was measured before.')
  }
  const sel = { ...(req.model !== undefined ? { model: req.model } : {}), ...(req.device !== undefined ? { device: req.device } : {}) }
  const base = bk === 'run' ? await fromRun(studio, Number(req.baseline)) : await fromResults(resolve(req.baseline), sel)
  let cand: Loaded
  if (ck === 'run') cand = await fromRun(studio, Number(req.candidate))
  else if (ck === 'results') cand = await fromResults(resolve(req.candidate), sel)
  else cand = await fromModelFile(studio, req.candidate, base.settings, req)
  // "Fashion-MNIST test" (an older file's label) and "fashion-mnist test" name the same split.
  const key = (d: string): string => d.toLowerCase().replace(/[^a-z0-9]/g, '')
  if (base.side.dataset && cand.side.dataset && key(base.side.dataset) !== key(cand.side.dataset)) {
    throw new StudioError('BAD_INPUT', `The baseline's accuracy is on ${base.side.dataset}, the candidate's on ${cand.side.dataset}: evaluate both on the same dataset and split.`)
  }
  return runCheck(base.side, cand.side, req.limits)
}
