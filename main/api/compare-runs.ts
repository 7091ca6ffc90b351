/**
 * 'runs:compare': the selection as (model, device) entries — each its newest finished bench and
 * eval — judged against the baseline the user picked: latency from the stored samples
 * (compareSamples), accuracy from both sample counts (compareProportions), size exactly, memory
 * with a noise floor (peak RSS moves with the allocator's page-sized steps).
 */
import type { CompareDeltas, CompareEntry, CompareRequest, RunComparison } from '../../common/api.js'
import { StudioError } from '../../common/errors.js'
import { compareProportions, compareSamples } from '../../common/stats.js'
import type { BenchResult, EvalResult, RunRecord } from '../../common/types.js'
import { guessVariantKind } from '../report/rows.js'
import type { RowSource } from '../report/report-items.js'
import type { Store } from '../store/store.js'

export const DEFAULT_NOISE = 0.02
/** Peak RSS differences under 5 % or 256 KiB are within what repeated runs of one model show. */
const RSS_NOISE = { ratio: 0.05, bytes: 256 * 1024 }

interface Entry extends CompareEntry {
  runs: number[]
}

function entryOf(store: Store, run: RunRecord): Entry {
  const model = store.getModel(run.modelId)
  return {
    key: `${run.modelId}:${run.deviceName}`,
    modelId: run.modelId,
    model: run.modelName,
    variant: model ? (model.parentId !== null ? model.kind : guessVariantKind(model.name, model.inspect ?? undefined)) : guessVariantKind(run.modelName),
    device: run.deviceName,
    benchRunId: null,
    evalRunId: null,
    p50Us: null,
    p90Us: null,
    top1: null,
    evalCount: null,
    fileBytes: model?.inspect?.fileBytes ?? null,
    memoryBytes: null,
    memorySource: null,
    runs: [],
  }
}

/** The entries in the order their first run was picked; the newest finished run of each kind wins. */
function entriesOf(store: Store, runIds: readonly number[]): Entry[] {
  const entries = new Map<string, Entry>()
  for (const id of runIds) {
    const run = store.getRun(id)
    if (!run) throw new StudioError('NOT_FOUND', `No run with id ${id}.`)
    const key = `${run.modelId}:${run.deviceName}`
    const e = entries.get(key) ?? entryOf(store, run)
    entries.set(key, e)
    e.runs.push(id)
    if (run.status !== 'finished' || !run.result) continue
    if (run.kind === 'bench' && (e.benchRunId === null || id > e.benchRunId)) {
      const b = run.result as BenchResult
      Object.assign(e, { benchRunId: id, p50Us: b.latencyUs.p50, p90Us: b.latencyUs.p90 })
      const serial = b.env.kind === 'serial'
      const activations = store.getModel(run.modelId)?.inspect?.peakActivationBytes ?? null
      e.memoryBytes = serial ? activations : b.memory.peakRssBytes
      e.memorySource = e.memoryBytes === null ? null : serial ? 'activations' : 'rss'
    }
    if (run.kind === 'eval' && (e.evalRunId === null || id > e.evalRunId)) {
      const ev = run.result as EvalResult
      Object.assign(e, { evalRunId: id, top1: ev.top1, evalCount: ev.count })
    }
  }
  return [...entries.values()]
}

function amount(ratio: number, exact: boolean, diffBytes: number): NonNullable<CompareDeltas['size']> {
  const verdict = ratio < 1 ? 'smaller' : ratio > 1 ? 'larger' : 'same'
  if (exact) return { ratio, verdict }
  const noisy = Math.abs(ratio - 1) <= RSS_NOISE.ratio || Math.abs(diffBytes) <= RSS_NOISE.bytes
  return { ratio, verdict: noisy ? 'within noise' : verdict }
}

function deltas(store: Store, base: Entry, e: Entry, noise: number): CompareDeltas {
  const notes: string[] = []
  let latency: CompareDeltas['latency'] = null
  if (base.benchRunId !== null && e.benchRunId !== null) {
    const a = store.getSamples(base.benchRunId)
    const b = store.getSamples(e.benchRunId)
    if (a.length >= 2 && b.length >= 2) {
      const c = compareSamples(a, b, noise)
      latency = { ratio: c.ratio, ci95: c.ci95, verdict: c.verdict }
    } else notes.push('latency: too few stored samples to compare')
  } else notes.push(`latency: no finished benchmark of ${base.benchRunId === null ? 'the baseline' : 'this entry'}`)
  let accuracy: CompareDeltas['accuracy'] = null
  if (base.top1 !== null && e.top1 !== null && base.evalCount && e.evalCount) {
    accuracy = compareProportions({ p: base.top1, n: base.evalCount }, { p: e.top1, n: e.evalCount })
  } else notes.push(`accuracy: no finished accuracy run of ${base.top1 === null ? 'the baseline' : 'this entry'}`)
  const size = base.fileBytes && e.fileBytes !== null ? amount(e.fileBytes / base.fileBytes, true, 0) : null
  let memory: CompareDeltas['memory'] = null
  if (base.memoryBytes && e.memoryBytes !== null) {
    const exact = base.memorySource === 'activations' && e.memorySource === 'activations'
    memory = amount(e.memoryBytes / base.memoryBytes, exact, e.memoryBytes - base.memoryBytes)
    if (base.memorySource !== e.memorySource) notes.push('memory: one figure is peak RSS, the other static peak activations')
  }
  return { latency, accuracy, size, memory, notes }
}

/** Sizes and static activations come from the inspection, made (and cached) where it is missing. */
async function addFigures(source: RowSource, entries: Entry[]): Promise<void> {
  for (const e of entries) {
    if (e.fileBytes !== null && e.memorySource !== 'activations') continue
    try {
      const inspect = await source.inspect(e.modelId)
      e.fileBytes = inspect.fileBytes
      if (e.memorySource === 'activations') e.memoryBytes = inspect.peakActivationBytes
    } catch {
      // A model file moved away still has its measured runs; its size stays unknown.
    }
  }
}

export async function compareRuns(source: RowSource, req: CompareRequest): Promise<RunComparison> {
  const store = source.store
  const noise = req.noise ?? DEFAULT_NOISE
  const entries = entriesOf(store, req.runIds)
  await addFigures(source, entries)
  if (entries.length < 2) {
    throw new StudioError('BAD_INPUT', 'Pick runs of at least two models or devices to compare: runs of one model on one device are one entry.')
  }
  const wanted = req.baselineRunId ?? req.runIds[0]
  const base = entries.find((e) => e.runs.includes(wanted ?? -1))
  if (!base) throw new StudioError('BAD_INPUT', `The baseline run ${wanted} is not among the runs to compare.`)
  const strip = ({ runs, ...rest }: Entry): CompareEntry => (void runs, rest)
  return {
    baseline: strip(base),
    noise,
    rows: entries.filter((e) => e !== base).map((e) => ({ ...strip(e), ...deltas(store, base, e, noise) })),
  }
}
