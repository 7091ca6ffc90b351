/**
 * What the report's trade-off scatters draw, computed on the Node side so the browser only renders:
 * accuracy against latency, model size and peak memory — points per device, each device's Pareto
 * front, a short label per point, and the rows that could not be plotted.
 */
import { formatAccuracy, formatBytes, formatCount, formatDuration, formatPercent } from '../../common/format.js'
import { paretoFront } from '../../common/pareto.js'
import { assignInOrder, DEVICE_COLORS, familyShapes } from '../../common/palette.js'
import type { ReportRow } from './rows.js'

/** One marker: x = the chart's cost, y = top-1 (%). */
export interface ChartPoint {
  x: number
  y: number
  /** Chart.js pointStyle of the row's family. */
  shape: string
  onFront: boolean
  /** Drawn beside the marker so a printed chart can be read. */
  label: string
  /** Tooltip lines, already formatted. */
  tip: string[]
}

export interface ChartSeries {
  device: string
  color: string
  points: ChartPoint[]
  /** The device's Pareto front as {x, y}, cost ascending, for a step line. */
  front: { x: number; y: number }[]
}

export interface SkippedRow {
  model: string
  device: string
  reason: string
}

export type ChartId = 'latency' | 'size' | 'memory'

export interface TradeoffChart {
  id: ChartId
  title: string
  /** Axis title of the cost. */
  xTitle: string
  unit: 'duration' | 'bytes'
  series: ChartSeries[]
  /** Log x when the costs span more than a factor of 20 (a host and an MCU on one chart). */
  logX: boolean
  skipped: SkippedRow[]
  /** What the cost means where it could mislead. */
  note?: string
}

export interface ChartData {
  charts: TradeoffChart[]
  families: { name: string; shape: string }[]
}

interface Axis {
  id: ChartId
  title: string
  xTitle: string
  unit: 'duration' | 'bytes'
  cost: (r: ReportRow) => number | undefined
  missing: string
  note?: (rows: readonly ReportRow[]) => string | undefined
}

const AXES: readonly Axis[] = [
  {
    id: 'latency',
    title: 'Accuracy vs latency',
    xTitle: 'median latency (p50)',
    unit: 'duration',
    cost: (r) => r.latencyP50Us,
    missing: 'latency',
  },
  {
    id: 'size',
    title: 'Accuracy vs model size',
    xTitle: 'model file size',
    unit: 'bytes',
    cost: (r) => r.fileBytes,
    missing: 'file size',
  },
  {
    id: 'memory',
    title: 'Accuracy vs peak memory',
    xTitle: 'peak memory',
    unit: 'bytes',
    cost: (r) => r.memoryBytes,
    missing: 'memory figure',
    note: (rows) => {
      const sources = new Set(rows.map((r) => r.memorySource).filter(Boolean))
      if (sources.size === 0) return undefined
      if (sources.size === 2) {
        return 'Peak memory is the peak RSS measured on computers and Linux boards, and the static peak of live activations on microcontrollers (where the firmware reports no RSS): compare within a device.'
      }
      return sources.has('rss')
        ? 'Peak memory is the peak RSS measured while the model ran (runner peak minus its peak before the session).'
        : 'Peak memory is the static peak of live activations from the graph (the RAM an MCU must hold).'
    },
  },
]

const isNum = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x)

function tooltip(r: ReportRow): string[] {
  const lines = [`${r.model} · ${r.variant} · ${r.device}`]
  if (r.recipe) lines.push(r.recipe)
  lines.push(`p50 ${formatDuration(r.latencyP50Us)} (p90 ${formatDuration(r.latencyP90Us)})`)
  lines.push(formatAccuracy(r.top1, r.dataset, r.evalCount))
  const extra: string[] = []
  if (r.memoryBytes !== undefined) extra.push(`${r.memorySource === 'activations' ? 'peak activations' : 'peak RSS'} ${formatBytes(r.memoryBytes)}`)
  if (r.fileBytes !== undefined) extra.push(`file ${formatBytes(r.fileBytes)}`)
  if (r.macs !== undefined) extra.push(`${formatCount(r.macs)} MACs`)
  if (extra.length > 0) lines.push(extra.join(' · '))
  const vs: string[] = []
  if (r.speedup !== undefined) vs.push(`${r.speedup.toFixed(2)}× speed`)
  if (r.top1Delta !== undefined) vs.push(`Δ top-1 ${signedPoints(r.top1Delta)}`)
  if (r.sizeRatio !== undefined) vs.push(`${formatPercent(r.sizeRatio, 0)} of the size`)
  if (vs.length > 0 && r.parent) lines.push(`vs ${r.parent}: ${vs.join(' · ')}`)
  for (const w of r.warnings) lines.push(`⚠ ${w}`)
  return lines
}

/** A difference of two fractions in percentage points: "+0.4 pt", "−1.2 pt". */
export function signedPoints(delta: number): string {
  const v = delta * 100
  const text = Math.abs(v).toFixed(1)
  if (text === '0.0') return '±0.0 pt'
  return `${v > 0 ? '+' : '−'}${text} pt`
}

/** Colour of each device, shared by the charts and the table's swatches. */
export function deviceColors(rows: readonly ReportRow[]): Map<string, string> {
  return assignInOrder(
    rows.map((r) => r.device),
    DEVICE_COLORS,
  )
}

function buildChart(rows: readonly ReportRow[], axis: Axis, colors: Map<string, string>, shapes: Map<string, string>): TradeoffChart {
  const plotted = rows.filter((r) => isNum(axis.cost(r)) && isNum(r.top1))
  const byDevice = new Map<string, ReportRow[]>()
  for (const r of plotted) byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r])
  const series: ChartSeries[] = []
  for (const [device, members] of byDevice) {
    const front = paretoFront(members, axis.cost, (r) => r.top1)
    const onFront = new Set(front)
    const at = (r: ReportRow): { x: number; y: number } => ({ x: axis.cost(r) ?? 0, y: (r.top1 ?? 0) * 100 })
    series.push({
      device,
      color: colors.get(device) ?? DEVICE_COLORS[0] ?? '#0072B2',
      points: members.map((r) => ({
        ...at(r),
        shape: shapes.get(r.family ?? 'no family') ?? 'circle',
        onFront: onFront.has(r),
        label: r.model,
        tip: tooltip(r),
      })),
      front: front.map(at),
    })
  }
  const xs = plotted.map((r) => axis.cost(r) ?? 0).filter((x) => x > 0)
  const note = axis.note?.(plotted)
  return {
    id: axis.id,
    title: axis.title,
    xTitle: axis.xTitle,
    unit: axis.unit,
    series,
    logX: xs.length > 1 && Math.max(...xs) / Math.min(...xs) > 20,
    skipped: rows
      .filter((r) => !plotted.includes(r))
      .map((r) => {
        const lacks = [isNum(axis.cost(r)) ? '' : axis.missing, isNum(r.top1) ? '' : 'accuracy'].filter(Boolean)
        return { model: r.model, device: r.device, reason: `no ${lacks.join(' or ')}` }
      }),
    ...(note ? { note } : {}),
  }
}

/** Builds the three trade-off scatters from report rows. */
export function buildChartData(rows: readonly ReportRow[]): ChartData {
  const colors = deviceColors(rows)
  const shapes = familyShapes(rows.map((r) => r.family ?? 'no family'))
  const charts = AXES.map((axis) => buildChart(rows, axis, colors, shapes))
  const drawn = new Set(charts.flatMap((c) => c.series.flatMap((s) => s.points.map((p) => p.shape))))
  return {
    charts,
    families: [...shapes].filter(([, shape]) => drawn.has(shape)).map(([name, shape]) => ({ name, shape })),
  }
}
