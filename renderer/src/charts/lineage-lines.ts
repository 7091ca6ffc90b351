/**
 * The thin lines from each parent to its variants, drawn by a Chart.js plugin under the datasets
 * rather than as line datasets: as datasets, Chart.js made an element for every vertex (three for
 * each of the 1,500 variants of a 2,000-point chart, twice the points themselves), placed, styled
 * and split into segments at every update, though nothing about them is interactive. Here they are
 * one path per device, from the data at each draw (so zoom and pan move them with the points).
 */
import type { Chart, Plugin } from 'chart.js'
import type { LineageLine } from './explore-data.js'
import type { StyledScatterType } from './styled-scatter.js'

/** Calls `to` for each vertex in pixels; `move` is true where a curve starts (after a NaN gap). */
export function walkLineage(
  chart: Pick<Chart, 'scales'>,
  line: LineageLine,
  to: (x: number, y: number, move: boolean) => void,
): void {
  const xs = chart.scales.x
  const ys = chart.scales.y
  if (!xs || !ys) return
  let move = true
  for (const d of line.data) {
    const x = xs.getPixelForValue(d.x)
    const y = ys.getPixelForValue(d.y)
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      move = true
      continue
    }
    to(x, y, move)
    move = false
  }
}

/** The plugin for one chart; `lines` is read at every draw. */
export function lineageLines(lines: () => readonly LineageLine[]): Plugin<StyledScatterType> {
  return {
    id: 'ebLineage',
    beforeDatasetsDraw(chart) {
      const current = lines()
      if (current.length === 0) return
      const { ctx, chartArea: a } = chart
      ctx.save()
      ctx.beginPath()
      ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top)
      ctx.clip()
      ctx.lineWidth = 1
      for (const line of current) {
        ctx.strokeStyle = line.color
        ctx.beginPath()
        walkLineage(chart, line, (x, y, move) => (move ? ctx.moveTo(x, y) : ctx.lineTo(x, y)))
        ctx.stroke()
      }
      ctx.restore()
    },
  }
}
