/**
 * Store rows → the shapes of the API contract. Lists stay light (no inspections, no full results),
 * so the UI can poll them without moving megabytes.
 */
import type { DeviceStatus, DeviceSummary, ExplorePoint, ModelInfo } from '../../common/api.js'
export { toRunSummary } from '../../common/run-summary.js'
import type { BenchResult, EvalResult, RunRecord } from '../../common/types.js'
import { describeRecipe } from '../../common/compress.js'
import { guessVariantKind } from '../report/rows.js'
import { preprocessingLabel } from '../../common/preprocessing.js'
import { preprocessingInfo } from '../model-feed.js'
import type { DeviceRow, ModelRow, Store } from '../store/store.js'

function cardNumber(card: Record<string, unknown> | null, key: string): number | null {
  const v = card?.[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** An early-exit operating point costs its expected MACs, not those of the whole graph it holds. */
function expectedMacs(row: ModelRow): number | null {
  const v = row.recipe?.method === 'early-exit' ? row.recipe.params.avgMacs : null
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null
}

/** A stored model for the API; with the store, also how it is fed (walking to its ancestors). */
export function toModelInfo(row: ModelRow, store?: Pick<Store, 'getModel'>): ModelInfo {
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
    macs: expectedMacs(row) ?? row.inspect?.macs ?? cardNumber(row.card, 'macs'),
    fileBytes: row.inspect?.fileBytes ?? cardNumber(row.card, 'fileBytes'),
    ...(store ? { preprocessing: preprocessingInfo(store, row) } : {}),
    ...(row.inspect ? { inputs: row.inspect.inputs, outputs: row.inspect.outputs } : {}),
    ...(row.inspect?.softmaxOutputs ? { softmaxOutputs: row.inspect.softmaxOutputs } : {}),
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
export function explorePoints(
  runs: readonly RunRecord[],
  modelOf: (id: number) => ModelRow | null,
  parentTop1Of: (parentId: number, device: string) => number | null = () => null,
): ExplorePoint[] {
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
      device: pair.any.deviceName,
      latencyP50Us: finite(bench?.latencyUs.p50),
      latencyP90Us: finite(bench?.latencyUs.p90),
      cv: finite(bench?.latencyUs.cv),
      peakRssBytes: finite(bench?.memory.peakRssBytes),
      fileBytes: info?.fileBytes ?? null,
      macs: info?.macs ?? null,
      params: info?.params ?? null,
      top1: finite(ev?.top1),
      top5: finite(ev?.top5),
      parentModelId: model?.parentId ?? null,
      parentKey: model?.parentId != null ? `${model.parentId}:${pair.any.deviceName}` : null,
      top1Delta: null,
      method: model?.recipe?.method ?? null,
      recipe: model?.recipe ? describeRecipe(model.recipe) : null,
      dataset: ev?.dataset ?? null,
      split: ev?.split ?? null,
      count: finite(ev?.count),
      preprocessing: ev ? preprocessingLabel(ev.preprocessing) : null,
      benchRunId: pair.bench?.id ?? null,
      evalRunId: pair.eval?.id ?? null,
    })
  }
  // Δ top-1 against the parent's point on the same device when it has one, else the store's figure.
  const byKey = new Map(points.map((p) => [p.key, p]))
  for (const p of points) {
    if (p.parentModelId === null || p.top1 === null) continue
    const parentTop1 = (p.parentKey ? byKey.get(p.parentKey)?.top1 : null) ?? parentTop1Of(p.parentModelId, p.device)
    if (parentTop1 !== null && parentTop1 !== undefined) p.top1Delta = p.top1 - parentTop1
  }
  return points.sort((a, b) => a.model.localeCompare(b.model) || a.device.localeCompare(b.device))
}

/** The newest finished top-1 of a model, on this device if it has one there, else anywhere. */
export function newestTop1(runs: readonly RunRecord[], device: string): number | null {
  const evals = runs.filter((r) => isEval(r) && r.status === 'finished')
  const run = evals.find((r) => r.deviceName === device) ?? evals[0]
  return run && isEval(run) ? finite(run.result.top1) : null
}
