// @vitest-environment happy-dom
/**
 * The constraint lines on Explore: the plugin draws a dashed line at each limit where the scale
 * puts it, only the limits of the axis shown, in colours with AA contrast, and the scatter carries
 * the plugin plus a sentence for screen readers.
 */
import { mount } from '@vue/test-utils'
import type { Chart } from 'chart.js'
import { createPinia, setActivePinia } from 'pinia'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import { constraintLines, LINE_COLOURS } from '../../renderer/src/charts/constraint-lines.js'
import ExploreScatter from '../../renderer/src/components/ExploreScatter.vue'
import { useConstraintsStore } from '../../renderer/src/stores/constraints.js'
import { installCanvasStub } from './canvas-stub.js'
import { syntheticPoints } from './fake-bridge.js'

beforeAll(installCanvasStub)
beforeEach(() => setActivePinia(createPinia()))

/** A chart stand-in whose context records the drawing calls. */
function recordingChart(): { chart: Chart; calls: [string, ...unknown[]][] } {
  const calls: [string, ...unknown[]][] = []
  const ctx = new Proxy({} as Record<string, unknown>, {
    get: (t, k: string) => (k in t ? t[k] : (...args: unknown[]) => void calls.push([k, ...args])),
    set: (t, k: string, v: unknown) => {
      t[k] = v
      calls.push([`set:${k}`, v])
      return true
    },
  })
  const chart = {
    ctx,
    chartArea: { left: 50, right: 850, top: 10, bottom: 410 },
    scales: { x: { getPixelForValue: (v: number) => 50 + v / 10 }, y: { getPixelForValue: (v: number) => 410 - (v - 50) * 8 } },
  } as unknown as Chart
  return { chart, calls }
}

/** WCAG relative luminance contrast of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string): number => {
    const c = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255).map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4))
    return 0.2126 * (c[0] ?? 0) + 0.7152 * (c[1] ?? 0) + 0.0722 * (c[2] ?? 0)
  }
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x)
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05)
}

describe('constraint lines', () => {
  it('draws a dashed vertical line at the latency limit and a horizontal one at the top-1 floor', () => {
    const { chart, calls } = recordingChart()
    const plugin = constraintLines(() => [
      { axis: 'x', value: 5000, label: 'latency p50 ≤ 5.00 ms' },
      { axis: 'y', value: 88, label: 'top-1 ≥ 88.0 %' },
    ])
    ;(plugin.afterDatasetsDraw as (c: Chart) => void)(chart)
    const moves = calls.filter((c) => c[0] === 'moveTo' || c[0] === 'lineTo')
    expect(moves).toEqual([
      ['moveTo', 550, 10],
      ['lineTo', 550, 410],
      ['moveTo', 50, 410 - 38 * 8],
      ['lineTo', 850, 410 - 38 * 8],
    ])
    expect(calls.filter((c) => c[0] === 'fillText').map((c) => c[1])).toEqual(['latency p50 ≤ 5.00 ms', 'top-1 ≥ 88.0 %'])
    expect(calls.some((c) => c[0] === 'setLineDash' && Array.isArray(c[1]) && (c[1] as number[]).length === 2)).toBe(true)
  })

  it('a limit outside the plotted range shades the chart but draws no line', () => {
    const { chart, calls } = recordingChart()
    ;(constraintLines(() => [{ axis: 'x', value: 1e9, label: 'far' }]).afterDatasetsDraw as (c: Chart) => void)(chart)
    expect(calls.some((c) => c[0] === 'moveTo')).toBe(false)
    expect(calls.some((c) => c[0] === 'fillText')).toBe(false)
  })

  it('only the limits of the figure on the x axis, and only when shown', () => {
    const c = useConstraintsStore()
    c.latency = { value: 5, unit: 'ms' }
    c.size = { value: 256, unit: 'KiB' }
    c.minTop1Pct = 88
    expect(c.constraints).toEqual({ latencyStat: 'p50', maxLatencyUs: 5000, maxSizeBytes: 262_144, minTop1: 0.88 })
    expect(c.linesFor('latencyP50Us').map((l) => l.label)).toEqual(['latency p50 ≤ 5.00 ms', 'top-1 ≥ 88.0 %'])
    // The limit reads the median: drawn on the p50 axis, not on the p90 one.
    expect(c.linesFor('latencyP90Us').map((l) => l.axis)).toEqual(['y'])
    expect(c.linesFor('fileBytes')[0]).toEqual({ axis: 'x', value: 262_144, label: 'size ≤ 256 KiB' })
    c.latencyStat = 'p90'
    expect(c.linesFor('latencyP90Us')[0]?.label).toBe('latency p90 ≤ 5.00 ms')
    c.showOnExplore = false
    expect(c.linesFor('fileBytes')).toEqual([])
  })

  it('line and label colours keep 4.5:1 contrast on the light and dark backgrounds', () => {
    expect(contrast(LINE_COLOURS.light.line, '#ffffff')).toBeGreaterThanOrEqual(4.5)
    expect(contrast(LINE_COLOURS.light.line, '#f6f7f9')).toBeGreaterThanOrEqual(4.5)
    expect(contrast(LINE_COLOURS.dark.line, '#15181d')).toBeGreaterThanOrEqual(4.5)
    expect(contrast(LINE_COLOURS.dark.line, '#1c2027')).toBeGreaterThanOrEqual(4.5)
  })

  it('Explore carries the plugin and says in words what the lines are', async () => {
    const c = useConstraintsStore()
    c.latency = { value: 2, unit: 'ms' }
    const points = syntheticPoints(50)
    const w = mount(ExploreScatter, { props: { points, visible: points, xAxis: 'latencyP50Us', logX: true }, attachTo: document.body })
    await nextTick()
    const chart = (w.vm as unknown as { getChart(): Chart | null }).getChart()
    expect(chart?.config.plugins?.some((p) => p.id === 'ebConstraintLines')).toBe(true)
    expect(w.find('[data-testid="explore-constraints"]').text()).toBe('Recommend constraints drawn as dashed lines: latency p50 ≤ 2.00 ms.')
    c.latency = { value: null, unit: 'ms' }
    await nextTick()
    expect(w.find('[data-testid="explore-constraints"]').exists()).toBe(false)
    w.unmount()
  })
})
