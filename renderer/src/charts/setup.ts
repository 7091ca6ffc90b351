/**
 * Registers only the Chart.js parts the studio draws (tree-shaken bundle), once. Theme colours are
 * read from the OS scheme so axes and grid stay legible in light and dark.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js'
import { StyledScatterController } from './styled-scatter.js'

let done = false

export function setupCharts(): void {
  if (done) return
  done = true
  Chart.register(
    BarController,
    BarElement,
    CategoryScale,
    LinearScale,
    LogarithmicScale,
    LineController,
    LineElement,
    PointElement,
    ScatterController,
    StyledScatterController,
    Tooltip,
    Filler,
  )
  const dark =
    typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches === true
  Chart.defaults.color = dark ? '#9aa4b1' : '#5d6875'
  Chart.defaults.borderColor = dark ? 'rgba(255,255,255,0.10)' : 'rgba(0,0,0,0.10)'
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
}

export { DEVICE_COLORS, FAMILY_SHAPES, assignInOrder, type FamilyShape } from '../../../common/palette.js'

/** Outline per variant kind (docs/ui.md: outline = variant kind). */
export const VARIANT_OUTLINE: Readonly<Record<string, { width: number; dash: boolean }>> = {
  fp32: { width: 1, dash: false },
  fp16: { width: 2, dash: false },
  int8: { width: 3, dash: false },
  pruned: { width: 2, dash: true },
  'early-exit': { width: 3, dash: true },
}

/** `#rrggbb` with an alpha, for faded (dominated) points. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}
