import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { request, toErrorInfo } from '../api/index.js'

/** Name, version, mode and database of the studio (top bar). */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const error = ref<ErrorInfo | null>(null)

  async function load(): Promise<void> {
    try {
      info.value = await request('app:info')
      error.value = null
    } catch (e) {
      error.value = toErrorInfo(e)
    }
  }

  return { info, error, load }
})
