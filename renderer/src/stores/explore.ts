import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import type { ExplorePoint } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { onEvent, request, toErrorInfo } from '../api/index.js'

export type XAxisKey = 'latencyP50Us' | 'latencyP90Us' | 'peakRssBytes' | 'fileBytes' | 'macs'

export const X_AXES: readonly { key: XAxisKey; label: string; unit: 'duration' | 'bytes' | 'count' }[] = [
  { key: 'latencyP50Us', label: 'Median latency', unit: 'duration' },
  { key: 'latencyP90Us', label: 'p90 latency', unit: 'duration' },
  { key: 'peakRssBytes', label: 'Peak memory', unit: 'bytes' },
  { key: 'fileBytes', label: 'Model size', unit: 'bytes' },
  { key: 'macs', label: 'MACs', unit: 'count' },
]

export type YAxisKey = 'top1' | 'top5' | 'top1Delta'

/** y choices: accuracy in %, or the change against the parent in percentage points. */
export const Y_AXES: readonly { key: YAxisKey; label: string; unit: '%' | 'pt' }[] = [
  { key: 'top1', label: 'Top-1 accuracy', unit: '%' },
  { key: 'top5', label: 'Top-5 accuracy', unit: '%' },
  { key: 'top1Delta', label: 'Δ top-1 vs parent', unit: 'pt' },
]

/** What the chips filter on; a value in a set is HIDDEN (so new devices show up by default). */
export interface ExploreFilters {
  devices: Set<string>
  families: Set<string>
  variants: Set<string>
}

export const familyOf = (p: ExplorePoint): string => p.family ?? 'other'

export function applyFilters(points: readonly ExplorePoint[], f: ExploreFilters): ExplorePoint[] {
  return points.filter(
    (p) => !f.devices.has(p.device) && !f.families.has(familyOf(p)) && !f.variants.has(p.variant),
  )
}

/** Distinct values with how many points carry each, in order of first appearance. */
export function countBy(
  points: readonly ExplorePoint[],
  key: (p: ExplorePoint) => string,
): { value: string; count: number }[] {
  const m = new Map<string, number>()
  for (const p of points) {
    const k = key(p)
    m.set(k, (m.get(k) ?? 0) + 1)
  }
  return [...m].map(([value, count]) => ({ value, count }))
}

export const useExploreStore = defineStore('explore', () => {
  /** Thousands of points: replaced as a whole, never deeply reactive. */
  const points = shallowRef<ExplorePoint[]>([])
  const loaded = ref(false)
  const error = ref<ErrorInfo | null>(null)
  const filters = shallowRef<ExploreFilters>({ devices: new Set(), families: new Set(), variants: new Set() })
  const xAxis = ref<XAxisKey>('latencyP50Us')
  const yAxis = ref<YAxisKey>('top1')
  const logX = ref(true)
  const logY = ref(false)
  /** y fitted to the data (false: the full 0–100 % scale). */
  const fitY = ref(true)
  /** Thin lines from each parent to its variants. */
  const lineage = ref(true)

  const visible = computed(() => applyFilters(points.value, filters.value))
  const deviceCounts = computed(() => countBy(points.value, (p) => p.device))
  const familyCounts = computed(() => countBy(points.value, familyOf))
  const variantCounts = computed(() => countBy(points.value, (p) => p.variant))

  async function fetchAll(): Promise<void> {
    try {
      const start = performance.now()
      const answer = await request('explore:points')
      performance.measure('eb:explore-points', { start })
      points.value = answer
      error.value = null
      loaded.value = true
    } catch (e) {
      error.value = toErrorInfo(e)
    }
  }
  let inFlight: Promise<void> | null = null
  /** All points; a call while a load is under way shares it (navigation and the view both ask). */
  function load(): Promise<void> {
    inFlight ??= fetchAll().finally(() => {
      inFlight = null
    })
    return inFlight
  }

  /**
   * After a run ended: only its (model, device) pair is asked for and upserted — never every point.
   * Before Explore first loads there is nothing to keep up to date.
   */
  async function refreshPair(modelId: number, deviceName: string): Promise<void> {
    if (!loaded.value) return
    try {
      const fresh = await request('explore:points', { modelId, deviceName })
      const key = `${modelId}:${deviceName}`
      const next = points.value.filter((p) => p.key !== key)
      next.push(...fresh)
      next.sort((a, b) => a.model.localeCompare(b.model) || a.device.localeCompare(b.device))
      points.value = next
    } catch (e) {
      error.value = toErrorInfo(e)
    }
  }

  /** Follows finished runs; returns the unsubscribe function. */
  function subscribe(): () => void {
    return onEvent('run:finished', ({ run }) => {
      if (run.status === 'finished') void refreshPair(run.modelId, run.deviceName)
    })
  }

  /** Used by tests and the UI benchmark to feed synthetic points. */
  function setPoints(p: ExplorePoint[]): void {
    points.value = p
    loaded.value = true
  }

  function toggle(kind: keyof ExploreFilters, value: string): void {
    const set = filters.value[kind]
    if (set.has(value)) set.delete(value)
    else set.add(value)
    triggerRef(filters)
  }

  function clearFilters(): void {
    filters.value = { devices: new Set(), families: new Set(), variants: new Set() }
  }

  return {
    points,
    loaded,
    error,
    filters,
    xAxis,
    yAxis,
    logX,
    logY,
    fitY,
    lineage,
    visible,
    deviceCounts,
    familyCounts,
    variantCounts,
    load,
    refreshPair,
    subscribe,
    setPoints,
    toggle,
    clearFilters,
  }
})
