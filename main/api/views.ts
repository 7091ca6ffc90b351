/**
 * Store rows → the shapes of the API contract. Lists stay light (no inspections, no full results),
 * so the UI can poll them without moving megabytes.
 */
import type { DeviceStatus, DeviceSummary, ExplorePoint, ModelInfo, RunSummary } from '../../common/api.js'
import type { BenchResult, EvalResult, RunRecord } from '../../common/types.js'
import { guessVariantKind } from '../report/rows.js'
import type { DeviceRow, ModelRow } from '../store/store.js'

function cardNumber(card: Record<string, unknown> | null, key: string): number | null {
  const v = card?.[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

export function toModelInfo(row: ModelRow): ModelInfo {
  return {
    id: row.id,
    name: row.name,
    path: row.path,
    sha256: row.sha256,
    family: row.family,
    kind: row.kind,
    parentId: row.parentId,
    recipe: row.recipe,
    card: row.card,
    createdAt: row.createdAt,
    params: row.inspect?.params ?? cardNumber(row.card, 'params'),
    macs: row.inspect?.macs ?? cardNumber(row.card, 'macs'),
    fileBytes: row.inspect?.fileBytes ?? cardNumber(row.card, 'fileBytes'),
  }
}

export function toDeviceSummary(row: DeviceRow, status: DeviceStatus): DeviceSummary {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    config: row.config,
    info: row.info,
    status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

export function isBench(run: RunRecord): run is RunRecord & { result: BenchResult } {
  return run.kind === 'bench' && run.result !== null && 'latencyUs' in run.result
}

export function isEval(run: RunRecord): run is RunRecord & { result: EvalResult } {
  return run.kind === 'eval' && run.result !== null && 'top1' in run.result
}

export function toRunSummary(run: RunRecord): RunSummary {
  const rest: Omit<RunRecord, 'result'> & { result?: unknown } = { ...run }
  delete rest.result
  const bench = isBench(run) && run.status === 'finished' ? run.result : null
  const ev = isEval(run) && run.status === 'finished' ? run.result : null
  return {
    ...rest,
    p50Us: bench?.latencyUs.p50 ?? null,
    p90Us: bench?.latencyUs.p90 ?? null,
    top1: ev?.top1 ?? null,
  }
}

/** An imported original is labelled by its name and weights; a derived variant by its recipe's kind. */
function variantKind(model: ModelRow | null, fallbackName: string): string {
  if (!model) return guessVariantKind(fallbackName)
  if (model.parentId !== null) return model.kind
  return guessVariantKind(model.name, model.inspect ?? undefined)
}

function finite(n: number | null | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) ? n : null
}

/**
 * One point per (model, device) pair with a finished run: the newest bench joined with the newest
 * eval. `runs` must be finished runs, newest first (the store's order).
 */
export function explorePoints(runs: readonly RunRecord[], modelOf: (id: number) => ModelRow | null): ExplorePoint[] {
  const pairs = new Map<string, { bench?: RunRecord & { result: BenchResult }; eval?: RunRecord & { result: EvalResult }; any: RunRecord }>()
  for (const run of runs) {
    if (run.status !== 'finished') continue
    const key = `${run.modelId}:${run.deviceName}`
    const pair = pairs.get(key) ?? { any: run }
    if (isBench(run) && !pair.bench) pair.bench = run
    if (isEval(run) && !pair.eval) pair.eval = run
    pairs.set(key, pair)
  }
  const points: ExplorePoint[] = []
  for (const [key, pair] of pairs) {
    if (!pair.bench && !pair.eval) continue
    const model = modelOf(pair.any.modelId)
    const info = model ? toModelInfo(model) : null
    const bench = pair.bench?.result
    const ev = pair.eval?.result
    points.push({
      key,
      modelId: pair.any.modelId,
      model: pair.any.modelName,
      family: model?.family ?? null,
      variant: variantKind(model, pair.any.modelName),
      parentId: model?.parentId ?? null,
      recipe: model?.recipe ?? null,
      device: pair.any.deviceName,
      latencyP50Us: finite(bench?.latencyUs.p50),
      latencyP90Us: finite(bench?.latencyUs.p90),
      cv: finite(bench?.latencyUs.cv),
      peakRssBytes: finite(bench?.memory.peakRssBytes),
      fileBytes: info?.fileBytes ?? null,
      macs: info?.macs ?? null,
      params: info?.params ?? null,
      top1: finite(ev?.top1),
      dataset: ev?.dataset ?? null,
      split: ev?.split ?? null,
      count: finite(ev?.count),
      benchRunId: pair.bench?.id ?? null,
      evalRunId: pair.eval?.id ?? null,
    })
  }
  return points.sort((a, b) => a.model.localeCompare(b.model) || a.device.localeCompare(b.device))
}
