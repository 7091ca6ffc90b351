import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { RunSummary, StartRunRequest } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import type { Progress, RunRecord, RunStatus } from '../../../common/types.js'
import { toRunSummary } from '../../../common/run-summary.js'
import { onEvent, request, toErrorInfo } from '../api/index.js'

const ACTIVE: readonly RunStatus[] = ['queued', 'running']

export function isActive(status: RunStatus): boolean {
  return ACTIVE.includes(status)
}

/** Remaining time from the elapsed time and the fraction done; null until there is a trend. */
export function estimateRemainingMs(elapsedMs: number, fraction: number): number | null {
  if (!(fraction > 0.02) || fraction >= 1) return fraction >= 1 ? 0 : null
  return (elapsedMs * (1 - fraction)) / fraction
}

export const useRunsStore = defineStore('runs', () => {
  const runs = ref<RunSummary[]>([])
  const loaded = ref(false)
  const error = ref<ErrorInfo | null>(null)
  const startError = ref<ErrorInfo | null>(null)
  const progress = ref(new Map<number, Progress>())
  /** When this window first saw each run running (ms), for elapsed time if startedAt is missing. */
  const seenRunningAt = new Map<number, number>()

  const queue = computed(() => runs.value.filter((r) => isActive(r.status)).sort((a, b) => a.id - b.id))
  const done = computed(() => runs.value.filter((r) => !isActive(r.status)))
  const runningCount = computed(() => queue.value.filter((r) => r.status === 'running').length)
  const queuedCount = computed(() => queue.value.filter((r) => r.status === 'queued').length)

  async function load(): Promise<void> {
    try {
      runs.value = await request('runs:list', { limit: 500 })
      error.value = null
      loaded.value = true
    } catch (e) {
      error.value = toErrorInfo(e)
    }
  }

  function upsert(s: RunSummary): void {
    const i = runs.value.findIndex((r) => r.id === s.id)
    if (i >= 0) runs.value.splice(i, 1, s)
    else runs.value.unshift(s)
  }

  /** Status events that came before the run's list entry (a start's answer can be overtaken). */
  const early = new Map<number, RunStatus>()
  let reloadTimer: ReturnType<typeof setTimeout> | undefined

  /** A new run from a start's answer: added unless an event already told more about it. */
  function addStarted(s: RunSummary): void {
    if (runs.value.some((r) => r.id === s.id)) return
    const status = early.get(s.id)
    early.delete(s.id)
    runs.value.unshift(status ? { ...s, status } : s)
  }

  /** Queues every request in order; answers the new run ids. Each answer is upserted, no reload. */
  async function start(requests: readonly StartRunRequest[]): Promise<number[]> {
    startError.value = null
    const ids: number[] = []
    try {
      for (const r of requests) {
        const { runId, run } = await request('runs:start', r)
        addStarted(run)
        ids.push(runId)
      }
    } catch (e) {
      startError.value = toErrorInfo(e)
    }
    return ids
  }

  /** Fetches one run with its full result (the drawer). */
  async function fetchRun(runId: number): Promise<RunRecord> {
    return request('runs:get', { runId })
  }

  /** A run's stored latency samples, µs, in the order measured. */
  async function fetchSamples(runId: number): Promise<number[]> {
    return request('runs:samples', { runId })
  }

  async function cancel(runId: number): Promise<void> {
    try {
      await request('runs:cancel', { runId })
    } catch (e) {
      error.value = toErrorInfo(e)
    }
  }

  function startedMs(run: RunSummary): number | null {
    if (run.startedAt) return Date.parse(run.startedAt)
    return seenRunningAt.get(run.id) ?? null
  }

  function setStatus(runId: number, status: RunStatus): void {
    const r = runs.value.find((x) => x.id === runId)
    if (!r) {
      // Our own start's answer may still be on its way; a run another window started needs a reload.
      early.set(runId, status)
      clearTimeout(reloadTimer)
      reloadTimer = setTimeout(() => {
        if ([...early.keys()].some((id) => !runs.value.some((x) => x.id === id))) void load()
        early.clear()
      }, 500)
      return
    }
    r.status = status
    if (status === 'running' && !r.startedAt) seenRunningAt.set(runId, Date.now())
  }

  /** Follows the run events; returns the unsubscribe function. */
  function subscribe(): () => void {
    const offs = [
      onEvent('run:progress', ({ runId, progress: p }) => {
        progress.value.set(runId, p)
        const r = runs.value.find((x) => x.id === runId)
        if (r && r.status === 'queued') setStatus(runId, 'running')
      }),
      onEvent('run:status', ({ runId, status }) => setStatus(runId, status)),
      onEvent('run:finished', ({ run }) => {
        progress.value.delete(run.id)
        seenRunningAt.delete(run.id)
        upsert(toRunSummary(run))
      }),
    ]
    return () => offs.forEach((off) => off())
  }

  return {
    runs,
    loaded,
    error,
    startError,
    progress,
    queue,
    done,
    runningCount,
    queuedCount,
    load,
    start,
    cancel,
    fetchRun,
    fetchSamples,
    startedMs,
    subscribe,
  }
})
