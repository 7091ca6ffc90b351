/**
 * From Explore points to Chart.js datasets: one scatter dataset per device (colour), a marker per
 * family, an outline per variant kind, the Pareto front per device as a step line, dominated
 * points faded. Pure, so the in-place update and the tests share it.
 */
import type { ChartDataset } from 'chart.js'
import type { ExplorePoint } from '../../../common/api.js'
import { paretoByGroup } from '../../../common/pareto.js'
import type { XAxisKey } from '../stores/explore.js'
import { familyOf } from '../stores/explore.js'
import {
  DEVICE_COLORS,
  FAMILY_SHAPES,
  VARIANT_OUTLINE,
  assignInOrder,
  withAlpha,
  type FamilyShape,
} from './setup.js'

export interface ScatterDatum {
  x: number
  y: number
  point: ExplorePoint
}

export type ExploreDataset = ChartDataset<'scatter', ScatterDatum[]> & {
  role: 'points' | 'front'
  device: string
}

export interface Palette {
  colors: Map<string, string>
  shapes: Map<string, FamilyShape>
}

/** Colours and shapes from ALL points, so filtering never repaints a device in another colour. */
export function paletteFor(points: readonly ExplorePoint[], into?: Palette): Palette {
  const p = into ?? { colors: new Map(), shapes: new Map() }
  assignInOrder(
    points.map((x) => x.device),
    DEVICE_COLORS,
    p.colors,
  )
  assignInOrder(points.map(familyOf), FAMILY_SHAPES, p.shapes)
  return p
}

export const xOf = (p: ExplorePoint, key: XAxisKey): number | null => p[key]

/**
 * x-axis bounds with some air around the plotted points (Chart.js picks odd log ranges for one or
 * two points, leaving them on the edge); undefined = let Chart.js decide (nothing plotted).
 */
export function xBounds(
  datasets: readonly ExploreDataset[],
  logX: boolean,
): { min: number | undefined; max: number | undefined } {
  let lo = Infinity
  let hi = -Infinity
  for (const d of datasets) {
    if (d.role !== 'points') continue
    for (const p of d.data) {
      if (p.x < lo) lo = p.x
      if (p.x > hi) hi = p.x
    }
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { min: undefined, max: undefined }
  if (logX) return { min: lo / 1.6, max: hi * 1.6 }
  return { min: 0, max: hi * 1.08 || 1 }
}

export function buildDatasets(
  visible: readonly ExplorePoint[],
  xAxis: XAxisKey,
  palette: Palette,
  logX: boolean,
): { datasets: ExploreDataset[]; plotted: number } {
  const usable = visible.filter((p) => {
    const x = xOf(p, xAxis)
    return x !== null && Number.isFinite(x) && (!logX || x > 0) && p.top1 !== null && Number.isFinite(p.top1)
  })
  const fronts = paretoByGroup(
    usable,
    (p) => p.device,
    (p) => xOf(p, xAxis),
    (p) => p.top1,
  )
  const datasets: ExploreDataset[] = []
  for (const [device, front] of fronts) {
    const color = palette.colors.get(device) ?? DEVICE_COLORS[0] ?? '#0072B2'
    const onFront = new Set(front)
    const members = usable.filter((p) => p.device === device)
    datasets.push({
      role: 'points',
      device,
      label: device,
      data: members.map((p) => ({ x: xOf(p, xAxis) ?? 0, y: (p.top1 ?? 0) * 100, point: p })),
      pointStyle: members.map((p) => palette.shapes.get(familyOf(p)) ?? 'circle'),
      backgroundColor: members.map((p) => withAlpha(color, onFront.has(p) ? 0.85 : 0.25)),
      borderColor: members.map((p) => (onFront.has(p) ? color : withAlpha(color, 0.5))),
      borderWidth: members.map((p) => VARIANT_OUTLINE[p.variant]?.width ?? 1),
      pointRadius: 5,
      pointHoverRadius: 7,
      order: 1,
    })
    datasets.push({
      role: 'front',
      device,
      label: `${device} Pareto front`,
      data: front.map((p) => ({ x: xOf(p, xAxis) ?? 0, y: (p.top1 ?? 0) * 100, point: p })),
      showLine: true,
      stepped: true,
      borderColor: color,
      backgroundColor: color,
      borderWidth: 1.5,
      pointRadius: 0,
      pointHoverRadius: 0,
      order: 2,
    })
  }
  return { datasets, plotted: usable.length }
}
