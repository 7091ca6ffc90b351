/**
 * What the report's accuracy-vs-latency scatter draws, computed on the Node side so the browser only
 * renders: points per device, each device's Pareto front, and the rows that could not be plotted.
 */
import { formatAccuracy, formatBytes, formatCount, formatDuration } from '../../common/format.js'
import { paretoFront } from '../../common/pareto.js'
import { assignInOrder, DEVICE_COLORS, FAMILY_SHAPES } from '../../common/palette.js'
import type { ReportRow } from './rows.js'

/** One marker: x = median latency (µs), y = top-1 (%). */
export interface ChartPoint {
  x: number
  y: number
  /** Chart.js pointStyle of the row's family. */
  shape: string
  onFront: boolean
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
  reason: 'no accuracy' | 'no latency' | 'no accuracy or latency'
}

export interface ChartData {
  series: ChartSeries[]
  /** Log x when latencies span more than a factor of 20 (a host and an MCU on one chart). */
  logX: boolean
  families: { name: string; shape: string }[]
  skipped: SkippedRow[]
}

type Plotted = ReportRow & { latencyP50Us: number; top1: number }

function isPlottable(r: ReportRow): r is Plotted {
  return Number.isFinite(r.latencyP50Us) && Number.isFinite(r.top1)
}

function skipReason(r: ReportRow): SkippedRow['reason'] {
  const lat = Number.isFinite(r.latencyP50Us)
  const acc = Number.isFinite(r.top1)
  if (!lat && !acc) return 'no accuracy or latency'
  return lat ? 'no accuracy' : 'no latency'
}

function tooltip(r: Plotted): string[] {
  const lines = [
    `${r.model} · ${r.variant} · ${r.device}`,
    `p50 ${formatDuration(r.latencyP50Us)} (p90 ${formatDuration(r.latencyP90Us)})`,
    formatAccuracy(r.top1, r.dataset, r.evalCount),
  ]
  const extra: string[] = []
  if (r.peakRssBytes !== undefined) extra.push(`peak RSS ${formatBytes(r.peakRssBytes)}`)
  if (r.fileBytes !== undefined) extra.push(`file ${formatBytes(r.fileBytes)}`)
  if (r.macs !== undefined) extra.push(`${formatCount(r.macs)} MACs`)
  if (extra.length > 0) lines.push(extra.join(' · '))
  for (const w of r.warnings) lines.push(`⚠ ${w}`)
  return lines
}

/** Colour of each device, shared by the chart and the table's swatches. */
export function deviceColors(rows: readonly ReportRow[]): Map<string, string> {
  return assignInOrder(
    rows.map((r) => r.device),
    DEVICE_COLORS,
  )
}

/** Builds the scatter's data from report rows. */
export function buildChartData(rows: readonly ReportRow[]): ChartData {
  const colors = deviceColors(rows)
  const shapes = assignInOrder(
    rows.map((r) => r.family ?? 'no family'),
    FAMILY_SHAPES,
  )
  const plotted = rows.filter(isPlottable)
  const byDevice = new Map<string, Plotted[]>()
  for (const r of plotted) byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r])

  const series: ChartSeries[] = []
  for (const [device, members] of byDevice) {
    const front = paretoFront(
      members,
      (r) => r.latencyP50Us,
      (r) => r.top1,
    )
    const onFront = new Set(front)
    series.push({
      device,
      color: colors.get(device) ?? DEVICE_COLORS[0] ?? '#0072B2',
      points: members.map((r) => ({
        x: r.latencyP50Us,
        y: r.top1 * 100,
        shape: shapes.get(r.family ?? 'no family') ?? 'circle',
        onFront: onFront.has(r),
        tip: tooltip(r),
      })),
      front: front.map((r) => ({ x: r.latencyP50Us, y: r.top1 * 100 })),
    })
  }
  const xs = plotted.map((r) => r.latencyP50Us).filter((x) => x > 0)
  const logX = xs.length > 1 && Math.max(...xs) / Math.min(...xs) > 20
  const families = [...shapes].filter(([name]) => plotted.some((r) => (r.family ?? 'no family') === name))
  return {
    series,
    logX,
    families: families.map(([name, shape]) => ({ name, shape })),
    skipped: rows
      .filter((r) => !isPlottable(r))
      .map((r) => ({ model: r.model, device: r.device, reason: skipReason(r) })),
  }
}
