import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { JobFinished, RecommendRequest, RecommendResult } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import type { Progress } from '../../../common/types.js'
import { onEvent, request, toErrorInfo } from '../api/index.js'
import { useConstraintsStore } from './constraints.js'
import { useExploreStore } from './explore.js'

/** "Fill the gaps" as this window follows it: started here, then through its job events. */
export interface FillJob {
  jobId: number
  progress: Progress | null
  /** null while it runs; then how it ended. */
  error: ErrorInfo | null
  done: boolean
}

/**
 * The Recommend panel: its scope (models, zoo, dataset), the last answer, and "fill the gaps" as an
 * engine job (progress, cancel) whose answer replaces the last one. Constraints live in the
 * constraints store, which Explore reads to draw them.
 */
export const useRecommendStore = defineStore('recommend', () => {
  const constraints = useConstraintsStore()
  /** Names of original models; empty = everything measured on the device. */
  const models = ref<string[]>([])
  const zoo = ref(false)
  const dataset = ref<string | null>(null)
  /** Evaluate at most this many samples while filling; null = the whole split. */
  const fillLimit = ref<number | null>(null)
  const result = shallowRef<RecommendResult | null>(null)
  const loading = ref(false)
  const error = ref<ErrorInfo | null>(null)
  const fill = ref<FillJob | null>(null)
  const filling = computed(() => fill.value !== null && !fill.value.done)
  let offs: (() => void)[] | null = null
  // A fill with nothing to do can end before the answer naming its job arrives: kept until then.
  const early = new Map<number, JobFinished>()

  function requestOf(): RecommendRequest {
    return {
      device: constraints.device,
      constraints: constraints.constraints,
      ...(dataset.value ? { dataset: dataset.value } : {}),
      ...(models.value.length > 0 ? { models: [...models.value] } : {}),
      ...(zoo.value ? { zoo: true } : {}),
      ...(fillLimit.value ? { fill: { limit: fillLimit.value } } : {}),
    }
  }

  async function query(): Promise<void> {
    loading.value = true
    try {
      result.value = await request('recommend:query', requestOf())
      error.value = null
    } catch (e) {
      error.value = toErrorInfo(e)
    } finally {
      loading.value = false
    }
  }

  /** Follows fill jobs from the first one on (a fill outlives the view that started it). */
  function follow(): void {
    if (offs) return
    offs = [
      onEvent('job:progress', ({ jobId, progress }) => {
        if (fill.value?.jobId === jobId) fill.value.progress = progress
      }),
      onEvent('job:finished', (j) => {
        if (fill.value?.jobId === j.jobId) finish(j)
        else if (j.kind === 'fill') {
          early.set(j.jobId, j)
          for (const id of early.keys()) if (early.size > 8) early.delete(id)
        }
      }),
    ]
  }

  function finish(j: JobFinished): void {
    if (!fill.value) return
    fill.value.done = true
    if (j.ok && j.kind === 'fill') result.value = j.value
    else if (!j.ok) fill.value.error = j.error
    // What was measured (also by a cancelled fill) shows up on Explore and in the next answer.
    void useExploreStore().load()
    if (!j.ok) void query()
  }

  async function startFill(): Promise<void> {
    follow()
    error.value = null
    try {
      const { jobId } = await request('recommend:fill', requestOf())
      fill.value = { jobId, progress: null, error: null, done: false }
      const ended = early.get(jobId)
      if (ended) finish(ended)
    } catch (e) {
      error.value = toErrorInfo(e)
    }
  }

  async function cancelFill(): Promise<void> {
    if (!fill.value || fill.value.done) return
    try {
      await request('jobs:cancel', { jobId: fill.value.jobId })
    } catch (e) {
      error.value = toErrorInfo(e)
    }
  }

  return { models, zoo, dataset, fillLimit, result, loading, error, fill, filling, requestOf, query, startFill, cancelFill }
})
