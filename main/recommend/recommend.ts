/**
 * The engine side of `recommend`: one store query for what was measured on the device (light rows,
 * never the samples), the models in scope with their figures, then the pure ranking of
 * common/recommend.ts. Models without a cached inspection are inspected once (and cached), since
 * size and the memory estimate come from it.
 */
import { StudioError } from '../../common/errors.js'
import type { RecommendResult } from '../../common/api-recommend.js'
import { recommend, type Constraints } from '../../common/recommend.js'
import type { DeviceKind, MeasuredModel, Store } from '../store/store.js'
import { buildCandidates } from './candidates.js'

export interface RecommendQuery {
  device: string
  constraints: Constraints
  /** Only accuracy on this dataset counts; default: the one dataset the device's evaluations use. */
  dataset?: string
  /** Original models in scope, with all their variants; default: every model measured on the device. */
  rootIds?: readonly number[]
  alternatives?: number
  rejected?: number
}

export interface RecommendHost {
  store: Store
  /** Inspects a model and caches the result in the store. */
  inspect(modelId: number): Promise<unknown>
}

export type RecommendAnswer = RecommendResult

export function requireDevice(store: Store, name: string): DeviceKind {
  const row = store.getDevice(name)
  if (!row) {
    const known = store.listDevices().map((d) => d.name)
    throw new StudioError('NOT_FOUND', `No device named '${name}'. Known devices: ${known.join(', ') || 'none'} (see 'edgebench device list').`)
  }
  return row.kind
}

/** The models of the scope with their figures; uninspected ones are inspected first (best effort). */
async function scopeModels(host: RecommendHost, ids: readonly number[]): Promise<Map<number, MeasuredModel>> {
  let models = host.store.modelsForMeasure(ids)
  const missing = models.filter((m) => !m.hasInspect)
  if (missing.length > 0) {
    for (const m of missing) {
      try {
        await host.inspect(m.id)
      } catch {
        // A model whose file moved away keeps its measured runs; its size may come from its card.
      }
    }
    models = host.store.modelsForMeasure(ids)
  }
  return new Map(models.map((m) => [m.id, m]))
}

export async function recommendOn(host: RecommendHost, q: RecommendQuery): Promise<RecommendAnswer> {
  const deviceKind = requireDevice(host.store, q.device)
  const measured = host.store.measuredOn(q.device)
  const scoped = q.rootIds !== undefined
  const ids = scoped ? host.store.withDescendants(q.rootIds ?? []) : [...new Set(measured.runs.map((r) => r.modelId))]
  const models = await scopeModels(host, ids)
  const { candidates, dataset } = buildCandidates({
    deviceName: q.device,
    deviceKind,
    runs: measured.runs,
    models,
    ...(q.dataset !== undefined ? { dataset: q.dataset } : {}),
    includeUnmeasured: scoped,
  })
  const rec = recommend(q.device, candidates, q.constraints, {
    ...(q.alternatives !== undefined ? { alternatives: q.alternatives } : {}),
    ...(q.rejected !== undefined ? { rejected: q.rejected } : {}),
  })
  return { ...rec, deviceKind, dataset }
}
