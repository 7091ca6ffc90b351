import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { RunComparison } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { request, toErrorInfo } from '../api/index.js'

/** Compare: the selected runs judged against the baseline the user picked. */
export const useCompareStore = defineStore('compare', () => {
  const result = shallowRef<RunComparison | null>(null)
  const error = ref<ErrorInfo | null>(null)
  const loading = ref(false)
  /** Any run of the baseline entry; null = the first run picked. */
  const baselineRunId = ref<number | null>(null)
  /** Latency noise threshold, percent. */
  const noisePct = ref(2)
  let asked = 0

  async function compare(runIds: readonly number[]): Promise<void> {
    const mine = ++asked
    if (runIds.length < 2) {
      result.value = null
      return
    }
    loading.value = true
    try {
      const base = baselineRunId.value !== null && runIds.includes(baselineRunId.value) ? baselineRunId.value : undefined
      const r = await request('runs:compare', {
        runIds: [...runIds],
        noise: noisePct.value / 100,
        ...(base !== undefined ? { baselineRunId: base } : {}),
      })
      // A slower answer to an older question must not replace a newer one.
      if (mine !== asked) return
      result.value = r
      error.value = null
    } catch (e) {
      if (mine !== asked) return
      result.value = null
      error.value = toErrorInfo(e)
    } finally {
      if (mine === asked) loading.value = false
    }
  }

  return { result, error, loading, baselineRunId, noisePct, compare }
})
