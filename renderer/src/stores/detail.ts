import { defineStore } from 'pinia'
import { ref } from 'vue'

/** The right-hand drawer: which run is open (lists stay in view beside it). */
export const useDetailStore = defineStore('detail', () => {
  const runId = ref<number | null>(null)
  function openRun(id: number): void {
    runId.value = id
  }
  function close(): void {
    runId.value = null
  }
  return { runId, openRun, close }
})
