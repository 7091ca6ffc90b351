/**
 * From Explore points to Chart.js datasets: one scatter dataset per device (colour), a marker per
 * family, an outline per variant kind, the Pareto front per device as a step line, dominated
 * points faded, and thin lines from each parent to its variants (per method, in cost order, so a
 * pruning sweep reads as a curve). Pure, so the in-place update and the tests share it.
 */
import type { ChartDataset } from 'chart.js'
import type { ExplorePoint } from '../../../common/api.js'
import { familyShape } from '../../../common/palette.js'
import { paretoFront } from '../../../common/pareto.js'
import type { XAxisKey, YAxisKey } from '../stores/explore.js'
import { familyOf } from '../stores/explore.js'
import { DEVICE_COLORS, VARIANT_OUTLINE, assignInOrder, withAlpha, type FamilyShape } from './setup.js'
import type { StyledScatterType, StyleKeyed } from './styled-scatter.js'

export interface ScatterDatum {
  x: number
  y: number
  point: ExplorePoint
}

export type ExploreDataset = ChartDataset<StyledScatterType, ScatterDatum[]> &
  StyleKeyed & {
    role: 'points' | 'front'
    device: string
  }

/** One device's parent → variant curves (NaN points split them), drawn by charts/lineage-lines. */
export interface LineageLine {
  device: string
  color: string
  data: ScatterDatum[]
}

export interface Palette {
  colors: Map<string, string>
  shapes: Map<string, FamilyShape>
}

/**
 * Colours from ALL points, so filtering never repaints a device; markers from the family's name,
 * kept once given, so a family keeps its marker whatever is filtered or added.
 */
export function paletteFor(points: readonly ExplorePoint[], into?: Palette): Palette {
  const p = into ?? { colors: new Map(), shapes: new Map() }
  assignInOrder(
    points.map((x) => x.device),
    DEVICE_COLORS,
    p.colors,
  )
  for (const f of [...new Set(points.map(familyOf))].sort()) familyShape(f, p.shapes)
  return p
}

export const xOf = (p: ExplorePoint, key: XAxisKey): number | null => p[key]

/** The y figure in chart units: accuracy in %, Δ top-1 in percentage points. */
export function yOf(p: ExplorePoint, key: YAxisKey): number | null {
  const v = p[key]
  return v === null || !Number.isFinite(v) ? null : v * 100
}

function extent(datasets: readonly ExploreDataset[], axis: 'x' | 'y'): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (const d of datasets) {
    if (d.role !== 'points') continue
    for (const p of d.data) {
      const v = p[axis]
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
  }
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null
}

/**
 * x-axis bounds with some air around the plotted points (Chart.js picks odd log ranges for one or
 * two points, leaving them on the edge); undefined = let Chart.js decide (nothing plotted).
 */
export function xBounds(
  datasets: readonly ExploreDataset[],
  logX: boolean,
): { min: number | undefined; max: number | undefined } {
  const e = extent(datasets, 'x')
  if (!e) return { min: undefined, max: undefined }
  if (logX) return { min: e[0] / 1.6, max: e[1] * 1.6 }
  return { min: 0, max: e[1] * 1.08 || 1 }
}

/**
 * y bounds: fitted to the plotted points with a margin (models in the 90–94 % band must be told
 * apart), or the full 0–100 % scale; Δ top-1 is always fitted (it has no natural full scale).
 */
export function yBounds(
  datasets: readonly ExploreDataset[],
  yAxis: YAxisKey,
  fit: boolean,
  logY: boolean,
): { min: number | undefined; max: number | undefined } {
  const percent = yAxis !== 'top1Delta'
  if (percent && !fit) return { min: logY ? 1 : 0, max: 100 }
  const e = extent(datasets, 'y')
  if (!e) return { min: undefined, max: undefined }
  if (logY) return { min: e[0] / 1.15, max: percent ? Math.min(100, e[1] * 1.05) : e[1] * 1.15 }
  const pad = Math.max(0.25, (e[1] - e[0]) * 0.08)
  const min = e[0] - pad
  const max = e[1] + pad
  return percent ? { min: Math.max(0, min), max: Math.min(100, max) } : { min, max }
}

/** Parent → variants of one method, in cost order, per device; curves split by NaN points. */
function lineageData(byDevice: ReadonlyMap<string, readonly ScatterDatum[]>): Map<string, ScatterDatum[]> {
  const byKey = new Map<string, ScatterDatum>()
  for (const members of byDevice.values()) for (const d of members) byKey.set(d.point.key, d)
  const curves = new Map<string, { parent: ScatterDatum; members: ScatterDatum[] }>()
  for (const d of byKey.values()) {
    const p = d.point
    const parent = p.parentKey ? byKey.get(p.parentKey) : undefined
    if (!parent) continue
    const id = `${p.parentKey}\u0000${p.method ?? p.variant}`
    const curve = curves.get(id)
    if (curve) curve.members.push(d)
    else curves.set(id, { parent, members: [d] })
  }
  const out = new Map<string, ScatterDatum[]>()
  for (const { parent, members } of curves.values()) {
    members.sort((a, b) => a.x - b.x)
    let list = out.get(parent.point.device)
    if (!list) out.set(parent.point.device, (list = []))
    list.push(parent, ...members, { x: Number.NaN, y: Number.NaN, point: parent.point })
  }
  return out
}

export interface BuildOptions {
  xAxis: XAxisKey
  yAxis: YAxisKey
  logX: boolean
  logY: boolean
  lineage: boolean
}

export function buildDatasets(
  visible: readonly ExplorePoint[],
  palette: Palette,
  o: BuildOptions,
): { datasets: ExploreDataset[]; lineage: LineageLine[]; plotted: number } {
  // One pass: each plotted point's figures once, grouped by device in order of first appearance.
  const byDevice = new Map<string, ScatterDatum[]>()
  let plotted = 0
  for (const p of visible) {
    const x = xOf(p, o.xAxis)
    const y = yOf(p, o.yAxis)
    if (x === null || !Number.isFinite(x) || (o.logX && x <= 0) || y === null || (o.logY && y <= 0)) continue
    const members = byDevice.get(p.device)
    if (members) members.push({ x, y, point: p })
    else byDevice.set(p.device, [{ x, y, point: p }])
    plotted++
  }
  const lines = o.lineage ? lineageData(byDevice) : new Map<string, ScatterDatum[]>()
  const datasets: ExploreDataset[] = []
  const lineage: LineageLine[] = []
  for (const [device, members] of byDevice) {
    const color = palette.colors.get(device) ?? DEVICE_COLORS[0] ?? '#0072B2'
    const front = paretoFront(members, (d) => d.x, (d) => d.y)
    const onFront = new Set(front)
    const [fill, fillFaded, lineFaded] = [withAlpha(color, 0.85), withAlpha(color, 0.25), withAlpha(color, 0.5)]
    const shape: FamilyShape[] = []
    const width: number[] = []
    const fills: string[] = []
    const borders: string[] = []
    const styleKeys: string[] = []
    for (const d of members) {
      const top = onFront.has(d)
      const s = palette.shapes.get(familyOf(d.point)) ?? 'circle'
      const w = VARIANT_OUTLINE[d.point.variant]?.width ?? 1
      shape.push(s)
      width.push(w)
      fills.push(top ? fill : fillFaded)
      borders.push(top ? color : lineFaded)
      // What the four style arrays hold for this point, named, so equal styles resolve once.
      styleKeys.push(`${s}|${w}|${top ? 1 : 0}`)
    }
    datasets.push({
      role: 'points',
      device,
      label: device,
      data: members,
      pointStyle: shape,
      backgroundColor: fills,
      borderColor: borders,
      borderWidth: width,
      styleKeys,
      pointRadius: 5,
      pointHoverRadius: 7,
      order: 1,
    })
    datasets.push({
      role: 'front',
      device,
      label: `${device} Pareto front`,
      data: front,
      showLine: true,
      stepped: true,
      borderColor: color,
      backgroundColor: color,
      borderWidth: 1.5,
      pointRadius: 0,
      pointHoverRadius: 0,
      order: 2,
    })
    const curves = lines.get(device)
    // Solid and faint, not dashed: a dash pattern over thousands of segments costs a frame.
    if (curves?.length) lineage.push({ device, color: withAlpha(color, 0.35), data: curves })
  }
  return { datasets, lineage, plotted }
}
