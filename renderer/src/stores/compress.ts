import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { JobFinished, JobKind, StartEarlyExitRequest, StartSweepRequest } from '../../../common/api.js'
import type { RecipeInput } from '../../../common/recipe.js'
import type { Progress } from '../../../common/types.js'
import { onEvent, request } from '../api/index.js'
import { useModelsStore } from './models.js'

/** A compression job as this window knows it: started here, then followed through its events. */
export interface CompressJob {
  jobId: number
  kind: JobKind
  modelId: number
  /** The latest progress, null until the first event. */
  progress: Progress | null
  /** How it ended; null while queued or running. */
  outcome: JobFinished | null
}

/**
 * Derivations and sweeps run as engine jobs; this store starts them, follows 'job:progress' and
 * 'job:finished', and reloads the model list when a job may have added variants. Jobs outlive the
 * dialogs that start them, so closing a dialog never loses a result.
 */
export const useCompressStore = defineStore('compress', () => {
  const jobs = ref(new Map<number, CompressJob>())
  // Events can overtake the answer that names the job (a fast failure): kept until it arrives.
  const early = new Map<number, { progress: Progress | null; outcome: JobFinished | null }>()
  const remember = (jobId: number, entry: { progress: Progress | null; outcome: JobFinished | null }): void => {
    early.set(jobId, entry)
    // Jobs other windows started never get tracked here: keep only the newest few.
    for (const id of early.keys()) {
      if (early.size <= 32) break
      early.delete(id)
    }
  }

  function track(jobId: number, kind: JobKind, modelId: number): CompressJob {
    const seen = early.get(jobId)
    early.delete(jobId)
    const job: CompressJob = { jobId, kind, modelId, progress: seen?.progress ?? null, outcome: seen?.outcome ?? null }
    jobs.value.set(jobId, job)
    return job
  }

  /** Starts a derivation; throws ApiError (BAD_INPUT, NOT_FOUND) when the engine refuses it. */
  async function derive(modelId: number, recipe: RecipeInput): Promise<number> {
    const { jobId } = await request('variants:derive', { modelId, recipe })
    track(jobId, 'derive', modelId)
    return jobId
  }

  /** Starts an early-exit sweep; throws ApiError when the engine refuses it. */
  async function earlyExit(req: StartEarlyExitRequest): Promise<number> {
    const { jobId } = await request('earlyExit:start', req)
    track(jobId, 'early-exit', req.modelId)
    return jobId
  }

  /** Starts a sweep; throws ApiError when the engine refuses it. */
  async function sweep(req: StartSweepRequest): Promise<number> {
    const { jobId } = await request('sweeps:start', req)
    track(jobId, 'sweep', req.modelId)
    return jobId
  }

  /** Starts Auto-detect for a model (a guess on its first 200 samples); throws ApiError when refused. */
  async function detect(modelId: number, dataset?: string): Promise<number> {
    const { jobId } = await request('models:detectPreprocessing', { modelId, ...(dataset ? { dataset } : {}) })
    track(jobId, 'detect', modelId)
    return jobId
  }

  async function cancel(jobId: number): Promise<boolean> {
    return (await request('jobs:cancel', { jobId })).cancelled
  }

  /** The newest job of this kind for the model that has not ended (to reattach a reopened dialog). */
  function activeFor(kind: JobKind, modelId: number): CompressJob | null {
    let found: CompressJob | null = null
    for (const j of jobs.value.values()) {
      if (j.kind === kind && j.modelId === modelId && !j.outcome && (!found || j.jobId > found.jobId)) found = j
    }
    return found
  }

  /** Follows the job events; returns the unsubscribe function. */
  function subscribe(): () => void {
    const models = useModelsStore()
    const offs = [
      onEvent('job:progress', ({ jobId, progress }) => {
        const job = jobs.value.get(jobId)
        if (job) job.progress = progress
        else remember(jobId, { progress, outcome: early.get(jobId)?.outcome ?? null })
      }),
      onEvent('job:finished', (outcome) => {
        const job = jobs.value.get(outcome.jobId)
        if (job) job.outcome = outcome
        else remember(outcome.jobId, { progress: early.get(outcome.jobId)?.progress ?? null, outcome })
        // A sweep or a fill stores variants even when it fails or is cancelled part-way; Auto-detect stores nothing.
        if ((outcome.ok && outcome.kind !== 'detect') || outcome.kind === 'sweep' || outcome.kind === 'fill') void models.load()
      }),
    ]
    return () => offs.forEach((off) => off())
  }

  return { jobs, derive, sweep, detect, earlyExit, cancel, activeFor, subscribe }
})
