/**
 * From Explore points to Chart.js datasets: one scatter dataset per device (colour), a marker per
 * family, an outline per variant kind, the Pareto front per device as a step line, dominated
 * points faded, and thin lines from each parent to its variants (per method, in cost order, so a
 * pruning sweep reads as a curve). Pure, so the in-place update and the tests share it.
 */
import type { ChartDataset } from 'chart.js'
import type { ExplorePoint } from '../../../common/api.js'
import { familyShape } from '../../../common/palette.js'
import { paretoByGroup } from '../../../common/pareto.js'
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
function lineageData(usable: readonly ExplorePoint[], at: (p: ExplorePoint) => ScatterDatum): Map<string, ScatterDatum[]> {
  const byKey = new Map(usable.map((p) => [p.key, p]))
  const curves = new Map<string, { parent: ExplorePoint; members: ScatterDatum[] }>()
  for (const p of usable) {
    const parent = p.parentKey ? byKey.get(p.parentKey) : undefined
    if (!parent) continue
    const id = `${p.parentKey}\u0000${p.method ?? p.variant}`
    const curve = curves.get(id)
    if (curve) curve.members.push(at(p))
    else curves.set(id, { parent, members: [at(p)] })
  }
  const out = new Map<string, ScatterDatum[]>()
  for (const { parent, members } of curves.values()) {
    members.sort((a, b) => a.x - b.x)
    let list = out.get(parent.device)
    if (!list) out.set(parent.device, (list = []))
    list.push(at(parent))
    for (const m of members) list.push(m)
    list.push({ x: Number.NaN, y: Number.NaN, point: parent })
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
  const usable = visible.filter((p) => {
    const x = xOf(p, o.xAxis)
    const y = yOf(p, o.yAxis)
    return x !== null && Number.isFinite(x) && (!o.logX || x > 0) && y !== null && (!o.logY || y > 0)
  })
  const at = (p: ExplorePoint): ScatterDatum => ({ x: xOf(p, o.xAxis) ?? 0, y: yOf(p, o.yAxis) ?? 0, point: p })
  const fronts = paretoByGroup(
    usable,
    (p) => p.device,
    (p) => xOf(p, o.xAxis),
    (p) => yOf(p, o.yAxis),
  )
  const lines = o.lineage ? lineageData(usable, at) : new Map<string, ScatterDatum[]>()
  const datasets: ExploreDataset[] = []
  const lineage: LineageLine[] = []
  for (const [device, front] of fronts) {
    const color = palette.colors.get(device) ?? DEVICE_COLORS[0] ?? '#0072B2'
    const onFront = new Set(front)
    const members = usable.filter((p) => p.device === device)
    const shape = members.map((p) => palette.shapes.get(familyOf(p)) ?? 'circle')
    const width = members.map((p) => VARIANT_OUTLINE[p.variant]?.width ?? 1)
    const [fill, fillFaded, lineFaded] = [withAlpha(color, 0.85), withAlpha(color, 0.25), withAlpha(color, 0.5)]
    datasets.push({
      role: 'points',
      device,
      label: device,
      data: members.map(at),
      pointStyle: shape,
      backgroundColor: members.map((p) => (onFront.has(p) ? fill : fillFaded)),
      borderColor: members.map((p) => (onFront.has(p) ? color : lineFaded)),
      borderWidth: width,
      // What the four style arrays hold for each point, named, so equal styles resolve once.
      styleKeys: members.map((p, i) => `${shape[i]}|${width[i]}|${onFront.has(p) ? 1 : 0}`),
      pointRadius: 5,
      pointHoverRadius: 7,
      order: 1,
    })
    datasets.push({
      role: 'front',
      device,
      label: `${device} Pareto front`,
      data: front.map(at),
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
  return { datasets, lineage, plotted: usable.length }
}
