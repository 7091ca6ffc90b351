/**
 * `recommend --fill`: measure what a recommendation lacks on a device before ranking — the sweep
 * grid's variants of each original model that do not exist yet (main/compress/sweep.ts's grid),
 * then a benchmark and an evaluation of every model in scope that has none there. Only what is
 * missing runs; everything is stored as it completes, so a cancel keeps what was measured.
 */
import { StudioError, toStudioError } from '../../common/errors.js'
import type { LatencySpec, Progress, RunRecord, SessionOptions } from '../../common/types.js'
import { runSpec, type RunSpec } from '../bench/run-spec.js'
import { recipeLabel, type Recipe } from '../compress/recipe.js'
import { deriveStored, type VariantHost } from '../compress/variants.js'
import type { ModelRow } from '../store/store.js'

/** A model to measure: stored already, or the variant a derive step of the plan will make. */
export type FillTarget = { modelId: number } | { parentId: number; label: string }

export interface FillPlan {
  /** Evaluations run on this dataset; null = no dataset known, so no evaluations. */
  dataset: string | null
  derive: { parentId: number; parentName: string; recipe: Recipe; label: string }[]
  measure: { target: FillTarget; name: string; bench: boolean; eval: boolean }[]
}

export interface PlanInput {
  /** Originals whose grid variants should exist, plus any model in scope. */
  models: readonly ModelRow[]
  /** Ids that already have a finished bench / an eval on the dataset on the device. */
  benched: ReadonlySet<number>
  evaluated: ReadonlySet<number>
  /** The variant grid; empty on devices that cannot run other models (serial boards). */
  grid: readonly Recipe[]
  dataset: string | null
}

/** The label a stored variant was made with, to match it against the grid. */
function storedLabel(m: ModelRow): string | null {
  if (!m.recipe) return null
  try {
    return recipeLabel({ ...m.recipe.params, method: m.recipe.method } as Recipe)
  } catch {
    return null
  }
}

/** Pure: what to derive and what to measure, in the order it will run. */
export function planFill(input: PlanInput): FillPlan {
  const plan: FillPlan = { dataset: input.dataset, derive: [], measure: [] }
  const needs = (id: number): { bench: boolean; eval: boolean } => ({
    bench: !input.benched.has(id),
    eval: input.dataset !== null && !input.evaluated.has(id),
  })
  for (const m of input.models) {
    const n = needs(m.id)
    if (n.bench || n.eval) plan.measure.push({ target: { modelId: m.id }, name: m.name, ...n })
  }
  for (const root of input.models.filter((m) => m.parentId === null)) {
    const have = new Set(input.models.filter((m) => m.parentId === root.id).map(storedLabel))
    for (const recipe of input.grid) {
      const label = recipeLabel(recipe)
      if (have.has(label)) continue
      plan.derive.push({ parentId: root.id, parentName: root.name, recipe, label })
      plan.measure.push({ target: { parentId: root.id, label }, name: `${root.name}-${label}`, bench: true, eval: input.dataset !== null })
    }
  }
  return plan
}

export function planSteps(plan: FillPlan): number {
  return plan.derive.length + plan.measure.reduce((n, m) => n + (m.bench ? 1 : 0) + (m.eval ? 1 : 0), 0)
}

export interface FillHost extends VariantHost {
  /** Runs one spec to its end; `onFraction` gets the run's own progress (0..1). */
  measure(spec: RunSpec, signal: AbortSignal | undefined, onFraction: (f: number, phase: Progress['phase']) => void): Promise<RunRecord>
}

export interface FillOptions {
  device: string
  session: SessionOptions
  latency: LatencySpec
  /** Evaluate only the first N samples. */
  limit?: number
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

export interface FillResult {
  derived: number
  runs: number
  /** Steps that failed (the rest went on): which model, which step, why. */
  failed: { name: string; step: 'derive' | 'bench' | 'eval'; error: string }[]
}

const cancelled = (): StudioError => new StudioError('CANCELLED', 'Fill cancelled; the variants and runs finished so far are kept.')

/** Progress over the plan's steps, refined by the running step's own fraction. */
interface Stepper {
  report(phase: Progress['phase'], within: number, message: string): void
  step(n?: number): void
  check(): void
}

function stepper(total: number, opts: FillOptions): Stepper {
  let done = 0
  return {
    report: (phase, within, message) => opts.onProgress?.({ phase, done, total, fraction: Math.min(1, (done + within) / total), message }),
    step: (n = 1) => void (done += n),
    check: () => {
      if (opts.signal?.aborted) throw cancelled()
    },
  }
}

/** Derives the plan's variants; returns their ids by `parentId:label` (failed ones are reported). */
async function deriveAll(host: FillHost, plan: FillPlan, opts: FillOptions, s: Stepper, result: FillResult): Promise<Map<string, number>> {
  const made = new Map<string, number>()
  for (const d of plan.derive) {
    s.check()
    const what = `deriving ${d.parentName}-${d.label}`
    s.report('derive', 0, what)
    try {
      const { model } = await deriveStored(host, d.parentId, d.recipe, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (p) => s.report('derive', p.fraction, what),
      })
      made.set(`${d.parentId}:${d.label}`, model.id)
      result.derived++
    } catch (e) {
      const err = toStudioError(e)
      if (err.code === 'CANCELLED' || opts.signal?.aborted) throw cancelled()
      result.failed.push({ name: `${d.parentName}-${d.label}`, step: 'derive', error: err.message })
    }
    s.step()
  }
  return made
}

async function measureOne(host: FillHost, plan: FillPlan, opts: FillOptions, s: Stepper, result: FillResult, m: FillPlan['measure'][number], modelId: number): Promise<void> {
  const steps: ('bench' | 'eval')[] = [...(m.bench ? ['bench' as const] : []), ...(m.eval ? ['eval' as const] : [])]
  for (const kind of steps) {
    s.check()
    const spec = runSpec({
      kind,
      modelId,
      deviceName: opts.device,
      session: opts.session,
      latency: opts.latency,
      ...(kind === 'eval' && plan.dataset !== null ? { dataset: plan.dataset } : {}),
      ...(kind === 'eval' && opts.limit !== undefined ? { limit: opts.limit } : {}),
    })
    const message = `${kind === 'bench' ? 'latency' : 'accuracy'} of ${m.name} on ${opts.device}`
    s.report(kind === 'bench' ? 'latency' : 'accuracy', 0, message)
    const run = await host.measure(spec, opts.signal, (f, phase) => s.report(phase, f, message))
    if (run.status === 'cancelled' || opts.signal?.aborted) throw cancelled()
    if (run.status === 'finished') result.runs++
    else result.failed.push({ name: m.name, step: kind, error: run.error ?? run.status })
    s.step()
  }
}

export async function runFill(host: FillHost, plan: FillPlan, opts: FillOptions): Promise<FillResult> {
  const total = Math.max(1, planSteps(plan))
  const s = stepper(total, opts)
  const result: FillResult = { derived: 0, runs: 0, failed: [] }
  const made = await deriveAll(host, plan, opts, s, result)
  for (const m of plan.measure) {
    const modelId = 'modelId' in m.target ? m.target.modelId : made.get(`${m.target.parentId}:${m.target.label}`)
    // Its derive failed: nothing to measure.
    if (modelId === undefined) s.step((m.bench ? 1 : 0) + (m.eval ? 1 : 0))
    else await measureOne(host, plan, opts, s, result, m, modelId)
  }
  opts.onProgress?.({ phase: 'done', done: total, total, fraction: 1, message: 'filled' })
  return result
}
