/**
 * Keyboard access to a scatter chart's points: arrows step through the plotted points in cost order
 * (left/right) or value order (up/down), the focused point is shown as hovered with its tooltip and
 * announced to screen readers; Enter opens it, Space selects it, + / − zoom, 0 resets.
 */
import type { Chart } from 'chart.js'
import { ref, type Ref } from 'vue'
import type { ExplorePoint } from '../../../common/api.js'
import type { ExploreDataset, ScatterDatum } from '../charts/explore-data.js'
import type { StyledScatterType } from '../charts/styled-scatter.js'

export interface ChartKeyboardOptions {
  chart: () => Chart<StyledScatterType, ScatterDatum[]> | null
  onOpen: (p: ExplorePoint) => void
  onToggle: (p: ExplorePoint) => void
  onZoom: (factor: number) => void
  onReset: () => void
  describe: (p: ExplorePoint) => string
}

export interface ChartKeyboard {
  announcement: Ref<string>
  onKey: (e: KeyboardEvent) => void
  clear: () => void
}

interface Target {
  datasetIndex: number
  index: number
  datum: ScatterDatum
}

function targets(chart: Chart<StyledScatterType, ScatterDatum[]>): Target[] {
  const out: Target[] = []
  chart.data.datasets.forEach((ds, datasetIndex) => {
    if ((ds as ExploreDataset).role !== 'points') return
    ds.data.forEach((datum, index) => out.push({ datasetIndex, index, datum }))
  })
  return out
}

export function useChartKeyboard(o: ChartKeyboardOptions): ChartKeyboard {
  const announcement = ref('')
  let current: ExplorePoint | null = null

  function focus(t: Target, chart: Chart<StyledScatterType, ScatterDatum[]>, position: number, total: number): void {
    current = t.datum.point
    const active = [{ datasetIndex: t.datasetIndex, index: t.index }]
    const el = chart.getDatasetMeta(t.datasetIndex).data[t.index]
    chart.setActiveElements(active)
    chart.tooltip?.setActiveElements(active, { x: el?.x ?? 0, y: el?.y ?? 0 })
    chart.update('none')
    announcement.value = `Point ${position} of ${total}: ${o.describe(t.datum.point)}`
  }

  function step(e: KeyboardEvent, chart: Chart<StyledScatterType, ScatterDatum[]>): void {
    const byY = e.key === 'ArrowUp' || e.key === 'ArrowDown'
    const list = targets(chart).sort((a, b) => (byY ? a.datum.y - b.datum.y || a.datum.x - b.datum.x : a.datum.x - b.datum.x || a.datum.y - b.datum.y))
    if (list.length === 0) {
      announcement.value = 'No points are plotted.'
      return
    }
    const at = current ? list.findIndex((t) => t.datum.point.key === current?.key) : -1
    const forward = e.key === 'ArrowRight' || e.key === 'ArrowUp'
    let next = at < 0 ? 0 : forward ? Math.min(list.length - 1, at + 1) : Math.max(0, at - 1)
    if (e.key === 'Home') next = 0
    if (e.key === 'End') next = list.length - 1
    const t = list[next]
    if (t) focus(t, chart, next + 1, list.length)
  }

  function onKey(e: KeyboardEvent): void {
    const chart = o.chart()
    if (!chart) return
    const handled = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'Enter', ' ', '+', '=', '-', '0']
    if (!handled.includes(e.key)) return
    e.preventDefault()
    if (e.key === 'Enter' && current) o.onOpen(current)
    else if (e.key === ' ' && current) {
      o.onToggle(current)
      announcement.value = `Selection toggled: ${current.model} on ${current.device}`
    } else if (e.key === '+' || e.key === '=') o.onZoom(1.25)
    else if (e.key === '-') o.onZoom(0.8)
    else if (e.key === '0') o.onReset()
    else if (e.key !== 'Enter' && e.key !== ' ') step(e, chart)
  }

  function clear(): void {
    const chart = o.chart()
    current = null
    if (!chart) return
    chart.setActiveElements([])
    chart.tooltip?.setActiveElements([], { x: 0, y: 0 })
    chart.update('none')
  }

  return { announcement, onKey, clear }
}
