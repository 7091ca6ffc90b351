/**
 * Stored runs → report rows: the newest bench and eval of each (model, device) pair meet in one
 * row, with the model's lineage (parent, recipe, the original at the root) and, for variants whose
 * parent is not in the selection, the parent's newest figures from the store.
 */
import { describeRecipe } from '../../common/compress.js'
import type { BenchResult, DeviceInfo, EvalResult, InspectResult, RunRecord } from '../../common/types.js'
import { orderByLineage, rowsFromResults, type ParentFigures, type ReportRow, type ResultItem } from './rows.js'
import type { ModelRow, Store } from '../store/store.js'

/** What building rows needs: the store, and the (cached) inspection of a model. */
export interface RowSource {
  store: Store
  inspect(modelId: number): Promise<InspectResult>
}

interface Pair {
  model: string
  modelId: number
  device: string
  bench?: BenchResult
  eval?: EvalResult
  measuredAt?: string
}

function pairsOf(runs: readonly RunRecord[]): Pair[] {
  const byKey = new Map<string, Pair>()
  const ordered = [...runs].filter((r) => r.status === 'finished' && r.result).sort((a, b) => a.id - b.id)
  for (const run of ordered) {
    const key = `${run.modelId}\u0000${run.deviceName}`
    const item = byKey.get(key) ?? { model: run.modelName, modelId: run.modelId, device: run.deviceName }
    if (run.kind === 'bench') item.bench = run.result as BenchResult
    else item.eval = run.result as EvalResult
    if (run.finishedAt && (!item.measuredAt || run.finishedAt > item.measuredAt)) item.measuredAt = run.finishedAt
    byKey.set(key, item)
  }
  return [...byKey.values()]
}

/** The root original of a model's lineage (a cycle or a missing parent stops the walk). */
function rootOf(store: Store, model: ModelRow): ModelRow {
  let m = model
  const seen = new Set<number>([m.id])
  while (m.parentId !== null && !seen.has(m.parentId)) {
    const parent = store.getModel(m.parentId)
    if (!parent) break
    seen.add(parent.id)
    m = parent
  }
  return m
}

/** The parent's newest finished figures on this device (latency) and anywhere (accuracy, size). */
function parentFigures(store: Store, parent: ModelRow, device: string): ParentFigures {
  const out: ParentFigures = {}
  const finished = store.listRuns({ status: 'finished', modelId: parent.id })
  const bench = finished.find((r) => r.kind === 'bench' && r.deviceName === device)?.result as BenchResult | undefined
  const evals = finished.filter((r) => r.kind === 'eval')
  const ev = (evals.find((r) => r.deviceName === device) ?? evals[0])?.result as EvalResult | undefined
  if (bench?.latencyUs) out.p50Us = bench.latencyUs.p50
  if (ev?.top1 !== undefined) out.top1 = ev.top1
  const fileBytes = parent.inspect?.fileBytes
  if (fileBytes !== undefined) out.fileBytes = fileBytes
  return out
}

export async function rowsForRuns(studio: RowSource, runs: RunRecord[]): Promise<ReportRow[]> {
  const items: (ResultItem & { order: [number, number] })[] = []
  for (const pair of pairsOf(runs)) {
    const model = studio.store.getModel(pair.modelId)
    let inspect: InspectResult | undefined
    try {
      inspect = await studio.inspect(pair.modelId)
    } catch {
      inspect = undefined // a model file moved away still has its measured runs
    }
    const parent = model?.parentId != null ? studio.store.getModel(model.parentId) : null
    const root = model ? rootOf(studio.store, model) : null
    items.push({
      model: pair.model,
      device: pair.device,
      ...(model?.family ? { family: model.family } : {}),
      ...(model?.kind ? { variant: model.kind } : {}),
      ...(inspect ? { inspect } : {}),
      ...(pair.bench ? { bench: pair.bench } : {}),
      ...(pair.eval ? { eval: pair.eval } : {}),
      ...(parent ? { parent: parent.name, parentFigures: parentFigures(studio.store, parent, pair.device) } : {}),
      ...(model?.recipe ? { recipe: describeRecipe(model.recipe) } : {}),
      ...(root ? { group: root.name } : {}),
      ...(pair.measuredAt ? { measuredAt: pair.measuredAt } : {}),
      order: [root?.id ?? pair.modelId, pair.modelId],
    })
  }
  // Lineages in the order their originals were imported, each variant after the one it came from.
  items.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || (a.device ?? '').localeCompare(b.device ?? ''))
  return orderByLineage(rowsFromResults(items))
}

/** The newest environment each device reported among the runs (the report's Environment block). */
export function envsForRuns(runs: readonly RunRecord[]): DeviceInfo[] {
  const byDevice = new Map<string, { at: string; env: DeviceInfo }>()
  for (const run of runs) {
    const env = run.env ?? (run.result && 'env' in run.result ? run.result.env : null)
    if (!env || run.status !== 'finished') continue
    const at = run.finishedAt ?? run.createdAt
    const seen = byDevice.get(run.deviceName)
    if (!seen || at > seen.at) byDevice.set(run.deviceName, { at, env: { ...env, name: run.deviceName } })
  }
  return [...byDevice.values()].map((v) => v.env)
}
