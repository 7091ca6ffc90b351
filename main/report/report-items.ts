/** Turns stored runs into report rows: the newest bench and eval of each (model, device) pair meet in one row. */
import type { BenchResult, EvalResult, InspectResult, RunRecord } from '../../common/types.js'
import { rowsFromResults, type ReportRow } from './rows.js'
import type { ModelRow, Store } from '../store/store.js'
import { describeRecipe } from '../../common/compress.js'

/** What building rows needs: the store, and the (cached) inspection of a model. */
export interface RowSource {
  store: Store
  inspect(modelId: number): Promise<InspectResult>
}

/** Parent name and one-line recipe of a variant (nothing for an original model). */
function lineageOf(store: Store, model: ModelRow | null): { parent?: string; recipe?: string } {
  if (!model || model.parentId === null) return {}
  const parent = store.getModel(model.parentId)
  return { ...(parent ? { parent: parent.name } : {}), ...(model.recipe ? { recipe: describeRecipe(model.recipe) } : {}) }
}

export async function rowsForRuns(studio: RowSource, runs: RunRecord[]): Promise<ReportRow[]> {
  const byKey = new Map<
    string,
    { model: string; modelId: number; device: string; bench?: BenchResult; eval?: EvalResult }
  >()
  const ordered = [...runs].filter((r) => r.status === 'finished' && r.result).sort((a, b) => a.id - b.id)
  for (const run of ordered) {
    const key = `${run.modelId}\u0000${run.deviceName}`
    const item = byKey.get(key) ?? { model: run.modelName, modelId: run.modelId, device: run.deviceName }
    if (run.kind === 'bench') item.bench = run.result as BenchResult
    else item.eval = run.result as EvalResult
    byKey.set(key, item)
  }
  const items = []
  for (const item of byKey.values()) {
    const model = studio.store.getModel(item.modelId)
    let inspect: InspectResult | undefined
    try {
      inspect = await studio.inspect(item.modelId)
    } catch {
      inspect = undefined // a model file moved away still has its measured runs
    }
    items.push({
      model: item.model,
      device: item.device,
      ...(model?.family ? { family: model.family } : {}),
      ...(model?.kind ? { variant: model.kind } : {}),
      ...lineageOf(studio.store, model),
      ...(inspect ? { inspect } : {}),
      ...(item.bench ? { bench: item.bench } : {}),
      ...(item.eval ? { eval: item.eval } : {}),
    })
  }
  return rowsFromResults(items)
}
