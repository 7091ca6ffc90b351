/**
 * From what the store measured on one device to the candidates common/recommend.ts ranks: per
 * model, its newest finished benchmark and its fullest evaluation (most samples, newest among
 * equals) on the chosen dataset, its file size, and its memory — measured peak RSS on Linux
 * devices, the firmware's figure on a serial board when it reports one, else the static estimate
 * (peak activations + weights), labelled as such. Pure over the store's light rows.
 */
import { StudioError } from '../../common/errors.js'
import type { Candidate, MemorySource } from '../../common/recommend.js'
import type { DeviceKind, MeasuredModel, MeasuredRun } from '../store/store.js'
import { guessVariantKind } from '../report/rows.js'

export interface CandidateInput {
  deviceName: string
  deviceKind: DeviceKind
  runs: readonly MeasuredRun[]
  /** Every model in scope (with or without runs), by id. */
  models: ReadonlyMap<number, MeasuredModel>
  /** Only evaluations on this dataset count; default: the one dataset the evaluations use. */
  dataset?: string
  /** Models in scope without any run on the device are listed (as unmeasured) too. */
  includeUnmeasured: boolean
}

export interface CandidateSet {
  candidates: Candidate[]
  /** The dataset the accuracy figures are on (null: no evaluation in scope). */
  dataset: string | null
}

const finite = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null)

/** The one dataset accuracy is compared on; several without a choice is the user's call to make. */
export function pickDataset(evals: readonly MeasuredRun[], given: string | undefined, deviceName: string): string | null {
  if (given !== undefined) return given
  const names = [...new Set(evals.map((r) => r.dataset).filter((d): d is string => typeof d === 'string'))]
  if (names.length > 1) {
    throw new StudioError(
      'BAD_INPUT',
      `The accuracy runs on ${deviceName} use ${names.length} datasets (${names.join(', ')}); top-1 on different datasets cannot be ranked together. Choose one with --dataset (in the Recommend panel: 'Accuracy on').`,
    )
  }
  return names[0] ?? null
}

function memoryOf(kind: DeviceKind, bench: MeasuredRun | undefined, model: MeasuredModel): { bytes: number | null; source: MemorySource | null } {
  const reported = finite(bench?.peakRssBytes)
  if (reported !== null) return { bytes: reported, source: kind === 'serial' ? 'firmware' : 'measured' }
  const act = finite(model.peakActivationBytes)
  const weights = finite(model.weightsBytes)
  if (act !== null && weights !== null) return { bytes: act + weights, source: 'estimate' }
  return { bytes: null, source: null }
}

export function variantOf(m: MeasuredModel): string {
  return m.parentId !== null ? m.kind : guessVariantKind(m.name, m.paramsByDtype ? { paramsByDtype: m.paramsByDtype } : null)
}

export function buildCandidates(input: CandidateInput): CandidateSet {
  const inScope = input.runs.filter((r) => input.models.has(r.modelId))
  const dataset = pickDataset(
    inScope.filter((r) => r.kind === 'eval'),
    input.dataset,
    input.deviceName,
  )
  const bench = new Map<number, MeasuredRun>()
  const evals = new Map<number, MeasuredRun>()
  // Runs come oldest first: a later bench replaces an earlier one; an eval only with more samples.
  for (const r of inScope) {
    if (r.kind === 'bench' && finite(r.p50Us) !== null) bench.set(r.modelId, r)
    if (r.kind === 'eval' && finite(r.top1) !== null && r.dataset === dataset) {
      const held = evals.get(r.modelId)
      if (!held || (r.count ?? 0) >= (held.count ?? 0)) evals.set(r.modelId, r)
    }
  }
  const ids = input.includeUnmeasured ? [...input.models.keys()] : [...new Set(inScope.map((r) => r.modelId))]
  const candidates = ids.sort((a, b) => a - b).map((id): Candidate => {
    const m = input.models.get(id) as MeasuredModel
    const b = bench.get(id)
    const e = evals.get(id)
    const memory = memoryOf(input.deviceKind, b, m)
    return {
      modelId: id,
      modelName: m.name,
      family: m.family,
      variant: variantOf(m),
      parentId: m.parentId,
      top1: finite(e?.top1),
      evalCount: finite(e?.count),
      dataset: e ? [e.dataset, e.split].filter(Boolean).join(' ') : null,
      latencyP50Us: finite(b?.p50Us),
      latencyP90Us: finite(b?.p90Us),
      sizeBytes: finite(m.fileBytes),
      memoryBytes: memory.bytes,
      memorySource: memory.source,
      benchRunId: b?.id ?? null,
      evalRunId: e?.id ?? null,
    }
  })
  return { candidates, dataset }
}
