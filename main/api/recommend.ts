/**
 * Recommendations over the Studio, shared by the 'recommend:*' channels and `edgebench recommend`:
 * model names/ids and `--zoo` resolved to original models, the ranking query, and `--fill` (the
 * sweep grid's missing variants, then the missing benchmarks and evaluations) with progress and
 * cancel. Serial boards carry their own model, so there fill measures that model only.
 */
import type { FilledRecommendation, RecommendRequest, RecommendResult } from '../../common/api-recommend.js'
import { DEFAULT_SWEEP } from '../../common/compress.js'
import { StudioError } from '../../common/errors.js'
import type { Progress, RunRecord } from '../../common/types.js'
import { latencyFrom, sessionFrom, type RunSpec } from '../bench/run-spec.js'
import { parseRecipe, recipeLabel, type Recipe } from '../compress/recipe.js'
import { feedOf } from '../model-feed.js'
import { planFill, planSteps, runFill } from '../recommend/fill.js'
import { pickDataset } from '../recommend/candidates.js'
import { recommendOn, requireDevice } from '../recommend/recommend.js'
import { boardDataset, boardModelFor } from '../serial-setup.js'
import type { ModelRow } from '../store/store.js'
import type { Studio } from '../studio.js'

/** The grid by label ('fp16,int8-minmax'); default: the whole sweep grid. */
export function gridFrom(labels: readonly string[] | undefined): Recipe[] {
  const byLabel = new Map(DEFAULT_SWEEP.map((r) => [recipeLabel(parseRecipe(r)), parseRecipe(r)]))
  if (labels === undefined) return [...byLabel.values()]
  const unknown = labels.filter((l) => !byLabel.has(l))
  if (unknown.length > 0) {
    throw new StudioError('BAD_INPUT', `Unknown sweep variant(s) ${unknown.join(', ')}; choose from ${[...byLabel.keys()].join(', ')}.`)
  }
  return labels.map((l) => byLabel.get(l) as Recipe)
}

/** The original (root) of a model's lineage. */
function rootOf(studio: Studio, m: ModelRow): ModelRow {
  let cur = m
  for (let i = 0; i < 32 && cur.parentId !== null; i++) cur = studio.store.getModel(cur.parentId) ?? cur
  return cur
}

/** Original models named by id or name; zoo names import the zoo on first use. */
async function resolveRoots(studio: Studio, req: RecommendRequest): Promise<number[] | undefined> {
  if (!req.models && !req.zoo) return undefined
  const roots = new Set<number>()
  if (req.zoo) for (const m of await studio.ensureZoo()) roots.add(m.id)
  const all = studio.store.listModels()
  for (const ref of req.models ?? []) {
    const byId = /^\d+$/.test(ref) ? studio.store.getModel(Number(ref)) : null
    let found = byId ? [byId] : all.filter((m) => m.name === ref)
    if (found.length === 0 && !byId) found = (await studio.ensureZoo()).filter((m) => m.name === ref)
    if (found.length === 0) {
      throw new StudioError('NOT_FOUND', `No model named or numbered '${ref}'. See the Models view or 'edgebench models'.`)
    }
    for (const m of found) roots.add(rootOf(studio, m).id)
  }
  return [...roots]
}

export async function recommendFor(studio: Studio, req: RecommendRequest): Promise<RecommendResult> {
  const rootIds = await resolveRoots(studio, req)
  return recommendOn(
    { store: studio.store, inspect: (id) => studio.inspect(id) },
    {
      device: req.device,
      constraints: req.constraints,
      ...(req.dataset !== undefined ? { dataset: req.dataset } : {}),
      ...(rootIds !== undefined ? { rootIds } : {}),
    },
  )
}

/** Runs one spec on the studio's queue, reporting its own progress and cancelling with `signal`. */
function measureWith(studio: Studio) {
  return async (spec: RunSpec, signal: AbortSignal | undefined, onFraction: (f: number, phase: Progress['phase']) => void): Promise<RunRecord> => {
    const id = studio.startRun(spec)
    const onProgress = (runId: number, p: Progress): void => {
      if (runId === id) onFraction(p.fraction, p.phase)
    }
    const cancel = (): void => void studio.runs.cancel(id)
    studio.runs.on('progress', onProgress)
    if (signal?.aborted) cancel()
    signal?.addEventListener('abort', cancel, { once: true })
    try {
      return await studio.runs.wait(id)
    } finally {
      studio.runs.off('progress', onProgress)
      signal?.removeEventListener('abort', cancel)
    }
  }
}

/** The models fill works on: the scope's originals and variants, or a serial board's own model. */
async function fillScope(studio: Studio, req: RecommendRequest, serial: boolean, signal?: AbortSignal): Promise<ModelRow[]> {
  if (serial) return [await boardModelFor(studio, req.device, signal)]
  let roots = await resolveRoots(studio, req)
  if (roots === undefined) {
    const measured = new Set(studio.store.measuredOn(req.device).runs.map((r) => r.modelId))
    roots = [...new Set([...measured].map((id) => studio.store.getModel(id)).filter((m): m is ModelRow => m !== null).map((m) => rootOf(studio, m).id))]
  }
  if (roots.length === 0) {
    throw new StudioError('BAD_INPUT', `Nothing to fill on ${req.device}: name the candidates (--models <names> or --zoo; in the panel: Candidates, or include the bundled zoo).`)
  }
  return studio.store.withDescendants(roots).map((id) => studio.store.getModel(id)).filter((m): m is ModelRow => m !== null)
}

/** Measures what the recommendation lacks on the device, then answers it. */
export async function fillAndRecommend(
  studio: Studio,
  req: RecommendRequest,
  signal?: AbortSignal,
  onProgress?: (p: Progress) => void,
): Promise<FilledRecommendation> {
  const serial = requireDevice(studio.store, req.device) === 'serial'
  const models = await fillScope(studio, req, serial, signal)
  const scopeReq: RecommendRequest = serial ? { ...req, models: models.map((m) => String(m.id)), zoo: false } : req
  const ids = new Set(models.map((m) => m.id))
  const runs = studio.store.measuredOn(req.device).runs.filter((r) => ids.has(r.modelId))
  const evals = runs.filter((r) => r.kind === 'eval')
  const dataset = pickDataset(evals, req.dataset, req.device) ?? firstCardDataset(studio, models) ?? (serial ? (boardDataset(studio, req.device) ?? null) : null)
  const plan = planFill({
    models,
    benched: new Set(runs.filter((r) => r.kind === 'bench').map((r) => r.modelId)),
    evaluated: new Set(evals.filter((r) => r.dataset === dataset).map((r) => r.modelId)),
    grid: serial ? [] : gridFrom(req.fill?.grid),
    dataset,
  })
  const fill = await runFill(
    { store: studio.store, dataDir: studio.dataDir, measure: measureWith(studio) },
    plan,
    {
      device: req.device,
      session: sessionFrom(req.fill?.session),
      latency: latencyFrom(req.fill?.latency),
      ...(req.fill?.limit !== undefined ? { limit: req.fill.limit } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    },
  )
  const answer = await recommendFor(studio, { ...scopeReq, ...(dataset !== null ? { dataset } : {}) })
  return { ...answer, fill: { ...fill, steps: planSteps(plan), dataset } }
}

function firstCardDataset(studio: Studio, models: readonly ModelRow[]): string | null {
  for (const m of models) {
    const d = feedOf(studio.store, m).dataset
    if (d !== null) return d
  }
  return null
}
