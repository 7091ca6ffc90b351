/**
 * A sweep: one action that derives a grid of variants from a model and measures latency, size and
 * accuracy of the parent and every variant on chosen devices. Each variant and each run is stored
 * as it completes, so a cancelled or failed sweep keeps everything already measured.
 */
import { DEFAULT_SWEEP, type SweepResult, type SweepRow, type VariantReport } from '../../common/compress.js'
import { StudioError, toStudioError } from '../../common/errors.js'
import type { BenchResult, EvalResult, LatencySpec, Progress, SessionOptions } from '../../common/types.js'
import { runSpec, type RunSpec } from '../bench/run-spec.js'
import type { ModelRow } from '../store/store.js'
import type { RunRecord } from '../../common/types.js'
import { parseRecipe, recipeLabel, type RecipeInput } from './recipe.js'
import { deriveStored, type VariantHost } from './variants.js'
import { feedOf } from '../model-feed.js'
import type { PreprocessingRequest } from '../../common/preprocessing.js'
import { explainSpeed } from './explain-speed.js'

export { DEFAULT_SWEEP }

export interface SweepHost extends VariantHost {
  runAndWait(spec: RunSpec): Promise<RunRecord>
}

export interface SweepOptions {
  devices: string[]
  /** Dataset for accuracy; default the model card's. Without either, accuracy is skipped. */
  dataset?: string
  /** Evaluate only the first N samples. */
  limit?: number
  session: SessionOptions
  latency?: LatencySpec
  recipes?: readonly RecipeInput[]
  /** Preprocessing and labels for this sweep's calibrations and evaluations, over the model's stored ones. */
  preprocessing?: PreprocessingRequest
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

export type { SweepResult, SweepRow }

function outcome<T>(run: RunRecord): { result: T | null; error: string | null } {
  return run.status === 'finished' ? { result: run.result as T, error: null } : { result: null, error: run.error?.message ?? run.status }
}

export async function runSweep(host: SweepHost, parent: ModelRow, opts: SweepOptions): Promise<SweepResult> {
  const recipes = (opts.recipes ?? DEFAULT_SWEEP).map(parseRecipe)
  if (opts.devices.length === 0) throw new StudioError('BAD_INPUT', 'Choose at least one device for the sweep.')
  const dataset = opts.dataset ?? feedOf(host.store, parent).dataset ?? undefined
  const steps = recipes.length + (recipes.length + 1) * opts.devices.length
  let step = 0
  const tick = (message: string): void => {
    step += 1
    opts.onProgress?.({ phase: 'derive', done: step, total: steps, fraction: step / steps, message })
  }
  const checkCancel = (): void => {
    if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'Sweep cancelled; the variants and runs finished so far are kept.')
  }
  const variants: VariantReport[] = []
  const models: { model: ModelRow | null; label: string; method: string; report: VariantReport | null; error: string | null }[] = [
    { model: parent, label: 'fp32', method: 'original', report: null, error: null },
  ]
  for (const recipe of recipes) {
    checkCancel()
    const label = recipeLabel(recipe)
    try {
      const { model, report } = await deriveStored(host, parent.id, recipe, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.preprocessing ? { preprocessing: opts.preprocessing } : {}),
      })
      variants.push(report)
      models.push({ model, label, method: recipe.method, report, error: null })
    } catch (e) {
      const err = toStudioError(e)
      if (err.code === 'CANCELLED') throw err
      models.push({ model: null, label, method: recipe.method, report: null, error: err.message })
    }
    tick(`derived ${label}`)
  }
  const rows: SweepRow[] = []
  for (const device of opts.devices) {
    let parentP50: number | null = null
    let parentTop1: number | null = null
    for (const m of models) {
      checkCancel()
      const base: SweepRow = {
        modelId: m.model?.id ?? null,
        name: m.model?.name ?? `${parent.name}-${m.label}`,
        label: m.label,
        method: m.method,
        recipe: m.model?.recipe ?? null,
        device,
        params: m.report?.params ?? parent.inspect?.params ?? null,
        macs: m.report?.macs ?? parent.inspect?.macs ?? null,
        fileBytes: m.report?.fileBytes ?? parent.inspect?.fileBytes ?? null,
        gzipBytes: m.report?.gzipBytes ?? parent.inspect?.gzipBytes ?? null,
        p50Us: null,
        p90Us: null,
        speedup: null,
        top1: null,
        top1Delta: null,
        benchRunId: null,
        evalRunId: null,
        error: m.error,
        why: [],
      }
      if (m.model) {
        const bench = outcome<BenchResult>(
          await host.runAndWait(runSpec({ kind: 'bench', modelId: m.model.id, deviceName: device, session: opts.session, latency: opts.latency })),
        )
        if (bench.result) {
          base.p50Us = bench.result.latencyUs.p50
          base.p90Us = bench.result.latencyUs.p90
          base.benchRunId = bench.result.runId ?? null
          if (m.model.id === parent.id) parentP50 = base.p50Us
          base.speedup = parentP50 !== null ? parentP50 / base.p50Us : null
          const q = m.report?.quantization
          if (q && base.speedup !== null && parentP50 !== null) {
            base.why = explainSpeed({
              speedup: base.speedup,
              fallback: q.fallback,
              boundaries: q.boundaries,
              activationType: q.activationType,
              dynamic: q.dynamic,
              addedTransposes: q.addedTransposes,
              depthwiseMacShare: q.depthwiseMacShare,
              fp32P50Us: parentP50,
            })
          }
        } else base.error = bench.error
        checkCancel()
        if (dataset) {
          const ev = outcome<EvalResult>(
            await host.runAndWait(
              runSpec({ kind: 'eval', modelId: m.model.id, deviceName: device, session: opts.session, dataset, limit: opts.limit || undefined, preprocessing: opts.preprocessing }),
            ),
          )
          if (ev.result) {
            base.top1 = ev.result.top1
            base.evalRunId = ev.result.runId ?? null
            if (m.model.id === parent.id) parentTop1 = base.top1
            base.top1Delta = parentTop1 !== null ? base.top1 - parentTop1 : null
          } else base.error = base.error ?? ev.error
        }
      }
      rows.push(base)
      tick(`measured ${base.name} on ${device}`)
    }
  }
  return { parent: parent.name, rows, variants }
}
