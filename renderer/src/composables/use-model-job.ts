/**
 * What a dialog that starts a compression job for one model needs: the job it follows (re-attached
 * when the dialog reopens while the job still runs), its progress and outcome, start/cancel with
 * errors shown, and the dataset list for its pickers.
 */
import { computed, ref, watch, type ComputedRef, type Ref } from 'vue'
import type { DatasetInfo, JobFinished, JobKind } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { toErrorInfo } from '../api/index.js'
import { useCompressStore, type CompressJob } from '../stores/compress.js'
import { useDatasetsStore } from '../stores/datasets.js'

export interface ModelJob {
  jobId: Ref<number | null>
  job: ComputedRef<CompressJob | null>
  running: ComputedRef<boolean>
  outcome: ComputedRef<JobFinished | null>
  failure: ComputedRef<ErrorInfo | null>
  percent: ComputedRef<number>
  startError: Ref<ErrorInfo | null>
  datasets: ComputedRef<DatasetInfo[]>
  begin(startJob: () => Promise<number>): Promise<void>
  cancel(): Promise<void>
  reset(): void
}

export function useModelJob(kind: JobKind, modelId: () => number, visible: Ref<boolean>): ModelJob {
  const compress = useCompressStore()
  const jobId = ref<number | null>(null)
  const startError = ref<ErrorInfo | null>(null)
  const datasetsStore = useDatasetsStore()
  const datasets = computed(() => datasetsStore.datasets)
  const job = computed(() => (jobId.value === null ? null : (compress.jobs.get(jobId.value) ?? null)))
  const outcome = computed(() => job.value?.outcome ?? null)

  watch(
    visible,
    async (open) => {
      if (!open) return
      // Re-attach to this model's job still running (the dialog was closed meanwhile).
      const active = compress.activeFor(kind, modelId())
      if (active) jobId.value = active.jobId
      await datasetsStore.load()
    },
    { immediate: true },
  )
  watch(modelId, (id) => {
    jobId.value = compress.activeFor(kind, id)?.jobId ?? null
    startError.value = null
  })

  return {
    jobId,
    job,
    running: computed(() => job.value !== null && job.value.outcome === null),
    outcome,
    failure: computed(() => (outcome.value && !outcome.value.ok ? outcome.value.error : null)),
    percent: computed(() => Math.round((job.value?.progress?.fraction ?? 0) * 100)),
    startError,
    datasets,
    async begin(startJob) {
      startError.value = null
      try {
        jobId.value = await startJob()
      } catch (e) {
        startError.value = toErrorInfo(e)
      }
    },
    async cancel() {
      if (jobId.value === null) return
      try {
        await compress.cancel(jobId.value)
      } catch (e) {
        startError.value = toErrorInfo(e)
      }
    },
    reset() {
      jobId.value = null
      startError.value = null
    },
  }
}
