/**
 * The Explore chart as a file: PNG (the canvas on the theme's background) and SVG (rebuilt from the
 * chart's own scales and element positions, so it is what is on screen — zoom included — as vectors
 * with the same markers, for papers and slides).
 */
import type { Chart, Scale } from 'chart.js'
import { markerPath } from '../../../common/markers.js'
import type { ExploreDataset, LineageLine, ScatterDatum } from './explore-data.js'
import { walkLineage } from './lineage-lines.js'
import type { StyledScatterType } from './styled-scatter.js'

type ScatterChart = Chart<StyledScatterType, ScatterDatum[]>

export interface ExportColors {
  background: string
  foreground: string
  grid: string
}

const esc = (t: string): string => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const n = (v: number): string => (Math.round(v * 10) / 10).toString()

/** The canvas as a PNG on an opaque background (a transparent PNG vanishes on dark slides). */
export function chartToPng(chart: ScatterChart, colors: ExportColors): Promise<Blob> {
  const src = chart.canvas
  const out = document.createElement('canvas')
  out.width = src.width
  out.height = src.height
  const ctx = out.getContext('2d')
  if (!ctx) return Promise.reject(new Error('This browser cannot draw on a canvas.'))
  ctx.fillStyle = colors.background
  ctx.fillRect(0, 0, out.width, out.height)
  ctx.drawImage(src, 0, 0)
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed.'))), 'image/png'))
}

function tickLabel(label: unknown): string {
  return Array.isArray(label) ? label.join(' ') : String(label ?? '')
}

function axes(chart: ScatterChart, c: ExportColors): string[] {
  const a = chart.chartArea
  const out: string[] = []
  const x = chart.scales.x as Scale | undefined
  const y = chart.scales.y as Scale | undefined
  for (const t of x?.ticks ?? []) {
    const px = x?.getPixelForValue(t.value) ?? 0
    const label = tickLabel(t.label)
    out.push(`<line x1="${n(px)}" y1="${n(a.top)}" x2="${n(px)}" y2="${n(a.bottom)}" stroke="${c.grid}"/>`)
    if (label) out.push(`<text x="${n(px)}" y="${n(a.bottom + 14)}" text-anchor="middle">${esc(label)}</text>`)
  }
  for (const t of y?.ticks ?? []) {
    const py = y?.getPixelForValue(t.value) ?? 0
    const label = tickLabel(t.label)
    out.push(`<line x1="${n(a.left)}" y1="${n(py)}" x2="${n(a.right)}" y2="${n(py)}" stroke="${c.grid}"/>`)
    if (label) out.push(`<text x="${n(a.left - 6)}" y="${n(py + 4)}" text-anchor="end">${esc(label)}</text>`)
  }
  const xTitle = tickLabel(chart.options.scales?.x?.title?.text)
  const yTitle = tickLabel(chart.options.scales?.y?.title?.text)
  out.push(`<rect x="${n(a.left)}" y="${n(a.top)}" width="${n(a.right - a.left)}" height="${n(a.bottom - a.top)}" fill="none" stroke="${c.foreground}" stroke-opacity="0.4"/>`)
  out.push(`<text x="${n((a.left + a.right) / 2)}" y="${n(a.bottom + 32)}" text-anchor="middle">${esc(xTitle)}</text>`)
  out.push(`<text transform="translate(14 ${n((a.top + a.bottom) / 2)}) rotate(-90)" text-anchor="middle">${esc(yTitle)}</text>`)
  return out
}

/** The parent → variant curves as they are drawn (charts/lineage-lines). */
function lineageSvg(chart: ScatterChart, lines: readonly LineageLine[]): string {
  return lines
    .map((line) => {
      let d = ''
      walkLineage(chart, line, (x, y, move) => (d += `${move ? 'M' : 'L'}${n(x)} ${n(y)}`))
      return d ? `<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1"/>` : ''
    })
    .join('')
}

/** A polyline through the dataset's elements; NaN points split it; `stepped` draws horizontal-then-vertical steps. */
function linePath(chart: ScatterChart, index: number, stepped: boolean): string {
  let d = ''
  let prev: { x: number; y: number } | null = null
  for (const el of chart.getDatasetMeta(index).data) {
    if (!Number.isFinite(el.x) || !Number.isFinite(el.y)) {
      prev = null
      continue
    }
    if (!prev) d += `M${n(el.x)} ${n(el.y)}`
    else d += stepped ? `V${n(el.y)}H${n(el.x)}` : `L${n(el.x)} ${n(el.y)}`
    prev = { x: el.x, y: el.y }
  }
  return d
}

const pick = <T,>(v: T | T[] | undefined, i: number): T | undefined => (Array.isArray(v) ? v[i] : v)

function datasetSvg(chart: ScatterChart, index: number): string {
  const ds = chart.data.datasets[index] as ExploreDataset
  if (ds.role !== 'points') {
    const d = linePath(chart, index, ds.role === 'front')
    return d ? `<path d="${d}" fill="none" stroke="${String(ds.borderColor)}" stroke-width="${String(ds.borderWidth ?? 1)}"/>` : ''
  }
  return chart
    .getDatasetMeta(index)
    .data.map((el, i) => {
      const shape = String(pick(ds.pointStyle as string | string[], i) ?? 'circle')
      const { d, stroke } = markerPath(shape, el.x, el.y, 5)
      const fill = stroke ? 'none' : String(pick(ds.backgroundColor as string | string[], i) ?? 'none')
      const line = String(pick(ds.borderColor as string | string[], i) ?? '#000')
      const width = Number(pick(ds.borderWidth as number | number[], i) ?? 1)
      return `<path d="${d}" fill="${fill}" stroke="${line}" stroke-width="${width}"/>`
    })
    .join('')
}

/** The chart as a standalone SVG document (what is on screen, as vectors). */
export function chartToSvg(chart: ScatterChart, colors: ExportColors, title: string, lineage: readonly LineageLine[] = []): string {
  const w = chart.width
  const h = chart.height
  const a = chart.chartArea
  // The lineage first (under everything), then as Chart.js: the highest `order` first, points last (on top).
  const order = chart.data.datasets.map((ds, i) => ({ i, order: Number(ds.order ?? 0) })).sort((p, q) => q.order - p.order)
  const body = [lineageSvg(chart, lineage), ...order.map(({ i }) => datasetSvg(chart, i))].join('\n')
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="system-ui, sans-serif" font-size="11" fill="${colors.foreground}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${w}" height="${h}" fill="${colors.background}"/>`,
    ...axes(chart, colors),
    `<clipPath id="area"><rect x="${n(a.left)}" y="${n(a.top)}" width="${n(a.right - a.left)}" height="${n(a.bottom - a.top)}"/></clipPath>`,
    `<g clip-path="url(#area)">${body}</g>`,
    '</svg>',
    '',
  ].join('\n')
}
