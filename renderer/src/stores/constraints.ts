import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { formatBytes, formatDuration, formatPercent } from '../../../common/format.js'
import type { Constraints, LatencyStat } from '../../../common/recommend.js'
import { BYTE_UNITS, DURATION_UNITS } from '../../../common/units.js'
import type { ConstraintLine } from '../charts/constraint-lines.js'
import type { XAxisKey } from './explore.js'

export const DURATION_CHOICES = ['µs', 'ms', 's'] as const
export const BYTE_CHOICES = ['B', 'KiB', 'MiB', 'KB', 'MB'] as const

/** A limit as typed: a number (null = no limit) and its unit. */
export interface LimitField<U extends string> {
  value: number | null
  unit: U
}

/**
 * The constraints of the Recommend panel, in the units the user typed, shared with Explore, which
 * draws them as lines (charts/constraint-lines.ts). A small store of its own so Explore needs
 * nothing from the Recommend panel but these lines.
 */
export const useConstraintsStore = defineStore('constraints', () => {
  const device = ref('local')
  const latency = ref<LimitField<(typeof DURATION_CHOICES)[number]>>({ value: null, unit: 'ms' })
  const size = ref<LimitField<(typeof BYTE_CHOICES)[number]>>({ value: null, unit: 'KiB' })
  const memory = ref<LimitField<(typeof BYTE_CHOICES)[number]>>({ value: null, unit: 'KiB' })
  /** Minimum top-1 in percent (0–100). */
  const minTop1Pct = ref<number | null>(null)
  const latencyStat = ref<LatencyStat>('p50')
  /** Whether Explore draws the lines. */
  const showOnExplore = ref(true)

  const constraints = computed((): Constraints => {
    const k: Constraints = { latencyStat: latencyStat.value }
    const l = latency.value
    if (l.value !== null && l.value > 0) k.maxLatencyUs = l.value * (DURATION_UNITS[l.unit] ?? 1)
    if (size.value.value !== null && size.value.value > 0) k.maxSizeBytes = size.value.value * (BYTE_UNITS[size.value.unit] ?? 1)
    if (memory.value.value !== null && memory.value.value > 0) k.maxMemoryBytes = memory.value.value * (BYTE_UNITS[memory.value.unit] ?? 1)
    if (minTop1Pct.value !== null) k.minTop1 = minTop1Pct.value / 100
    return k
  })

  const any = computed(() => Object.keys(constraints.value).length > 1)

  /** The lines Explore draws for its current x axis: only a limit on the figure that axis shows. */
  function linesFor(xAxis: XAxisKey): ConstraintLine[] {
    if (!showOnExplore.value) return []
    const k = constraints.value
    const lines: ConstraintLine[] = []
    const latencyAxis = k.latencyStat === 'p90' ? 'latencyP90Us' : 'latencyP50Us'
    if (k.maxLatencyUs !== undefined && xAxis === latencyAxis) {
      lines.push({ axis: 'x', value: k.maxLatencyUs, label: `latency ${k.latencyStat} ≤ ${formatDuration(k.maxLatencyUs)}` })
    }
    if (k.maxSizeBytes !== undefined && xAxis === 'fileBytes') lines.push({ axis: 'x', value: k.maxSizeBytes, label: `size ≤ ${formatBytes(k.maxSizeBytes)}` })
    if (k.maxMemoryBytes !== undefined && xAxis === 'peakRssBytes') lines.push({ axis: 'x', value: k.maxMemoryBytes, label: `memory ≤ ${formatBytes(k.maxMemoryBytes)}` })
    if (k.minTop1 !== undefined) lines.push({ axis: 'y', value: k.minTop1 * 100, label: `top-1 ≥ ${formatPercent(k.minTop1)}` })
    return lines
  }

  return { device, latency, size, memory, minTop1Pct, latencyStat, showOnExplore, constraints, any, linesFor }
})
