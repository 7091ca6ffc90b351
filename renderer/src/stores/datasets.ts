import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { DatasetInfo } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { request, toErrorInfo } from '../api/index.js'

/** The bundled datasets (eval pickers, calibration pickers), read once per window. */
export const useDatasetsStore = defineStore('datasets', () => {
  const datasets = shallowRef<DatasetInfo[]>([])
  const loaded = ref(false)
  const error = ref<ErrorInfo | null>(null)
  let inFlight: Promise<DatasetInfo[]> | null = null

  /** The list; asks the engine the first time only (concurrent callers share one request). */
  async function load(): Promise<DatasetInfo[]> {
    if (loaded.value) return datasets.value
    inFlight ??= request('datasets:list')
      .then((list) => {
        datasets.value = list
        loaded.value = true
        error.value = null
        return list
      })
      .catch((e: unknown) => {
        error.value = toErrorInfo(e)
        return []
      })
      .finally(() => {
        inFlight = null
      })
    return inFlight
  }

  return { datasets, loaded, error, load }
})
