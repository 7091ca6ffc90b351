import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

/** Runs picked (Explore shift-click, Benchmarks checkboxes) to send to Compare or Reports. */
export const useSelectionStore = defineStore('selection', () => {
  const runIds = ref<number[]>([])
  const count = computed(() => runIds.value.length)

  function toggle(id: number): void {
    const i = runIds.value.indexOf(id)
    if (i >= 0) runIds.value.splice(i, 1)
    else runIds.value.push(id)
  }
  function add(ids: readonly number[]): void {
    for (const id of ids) if (!runIds.value.includes(id)) runIds.value.push(id)
  }
  function set(ids: readonly number[]): void {
    runIds.value = [...new Set(ids)]
  }
  function clear(): void {
    runIds.value = []
  }
  function has(id: number): boolean {
    return runIds.value.includes(id)
  }

  return { runIds, count, toggle, add, set, clear, has }
})
