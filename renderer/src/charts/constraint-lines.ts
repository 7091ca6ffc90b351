/**
 * A Chart.js plugin that draws the Recommend panel's constraints on a chart: a dashed line at each
 * limit (vertical for a cost on x, horizontal for top-1 on y) with its label, and the side that
 * breaks the limit lightly shaded. The lines come from a getter read at every draw, so a change of
 * constraint only needs `chart.draw()` — the chart's data and options stay as they are.
 */
import type { Chart, Plugin } from 'chart.js'
import type { StyledScatterType } from './styled-scatter.js'

export interface ConstraintLine {
  axis: 'x' | 'y'
  /** In the axis's own unit (µs, bytes, top-1 percent). */
  value: number
  label: string
}

/** Line and label colours with at least 4.5:1 contrast on the studio's light and dark backgrounds. */
export const LINE_COLOURS = {
  light: { line: '#a4262c', shade: 'rgba(164, 38, 44, 0.06)' },
  dark: { line: '#ffb4a9', shade: 'rgba(255, 180, 169, 0.08)' },
} as const

function colours(): { line: string; shade: string } {
  const dark = typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches === true
  return dark ? LINE_COLOURS.dark : LINE_COLOURS.light
}

function drawLine(chart: Chart, l: ConstraintLine, c: { line: string; shade: string }): void {
  const { ctx, chartArea: a } = chart
  const scale = chart.scales[l.axis]
  if (!scale) return
  const px = scale.getPixelForValue(l.value)
  const inside = l.axis === 'x' ? px >= a.left && px <= a.right : px >= a.top && px <= a.bottom
  ctx.save()
  ctx.fillStyle = c.shade
  // The side that breaks the limit: right of a cost limit, below an accuracy floor.
  if (l.axis === 'x') {
    const from = Math.max(a.left, Math.min(a.right, px))
    ctx.fillRect(from, a.top, a.right - from, a.bottom - a.top)
  } else {
    const from = Math.max(a.top, Math.min(a.bottom, px))
    ctx.fillRect(a.left, from, a.right - a.left, a.bottom - from)
  }
  if (inside) {
    ctx.strokeStyle = c.line
    ctx.lineWidth = 1.5
    ctx.setLineDash([6, 4])
    ctx.beginPath()
    if (l.axis === 'x') {
      ctx.moveTo(px, a.top)
      ctx.lineTo(px, a.bottom)
    } else {
      ctx.moveTo(a.left, px)
      ctx.lineTo(a.right, px)
    }
    ctx.stroke()
    ctx.setLineDash([])
    ctx.fillStyle = c.line
    ctx.font = '600 11px system-ui, sans-serif'
    ctx.textBaseline = 'top'
    if (l.axis === 'x') {
      ctx.textAlign = px > a.right - 120 ? 'right' : 'left'
      ctx.fillText(l.label, px + (ctx.textAlign === 'right' ? -4 : 4), a.top + 4)
    } else {
      ctx.textAlign = 'right'
      ctx.fillText(l.label, a.right - 4, px + 3)
    }
  }
  ctx.restore()
}

/** The plugin for one chart; `lines` is read at every draw. */
export function constraintLines(lines: () => readonly ConstraintLine[]): Plugin<StyledScatterType> {
  return {
    id: 'ebConstraintLines',
    afterDatasetsDraw(chart) {
      const current = lines()
      if (current.length === 0) return
      const c = colours()
      for (const l of current) drawLine(chart as unknown as Chart, l, c)
    },
  }
}

/** Lines as one sentence, for screen readers and the note under the chart. */
export function describeLines(lines: readonly ConstraintLine[]): string {
  return lines.length === 0 ? '' : `Recommend constraints drawn as dashed lines: ${lines.map((l) => l.label).join(', ')}.`
}
