import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ReportFormat } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { formatBytes } from '../../../common/format.js'
import { downloadFile, request, toErrorInfo } from '../api/index.js'
import { useAppStore } from './app.js'

/** Report exports: a native Save dialog in the desktop app, a download in a browser. */
export const useReportsStore = defineStore('reports', () => {
  const busy = ref(false)
  const error = ref<ErrorInfo | null>(null)
  /** What the last export did, for the status line. */
  const last = ref<string | null>(null)

  async function exportRuns(runIds: readonly number[], format: ReportFormat): Promise<void> {
    const app = useAppStore()
    busy.value = true
    error.value = null
    last.value = null
    try {
      const payload = { runIds: [...runIds], format }
      if (app.info?.mode === 'desktop') {
        const saved = await request('reports:saveDialog', payload)
        last.value = saved ? `Saved ${saved.path}` : null
      } else {
        const file = await request('reports:export', payload)
        const size = downloadFile(file)
        last.value = `Downloaded ${file.fileName} (${formatBytes(size)})`
      }
    } catch (e) {
      error.value = toErrorInfo(e)
    } finally {
      busy.value = false
    }
  }

  return { busy, error, last, exportRuns }
})
