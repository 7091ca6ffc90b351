// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import type { Chart } from 'chart.js'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import type { ExplorePoint } from '../../common/api.js'
import { paretoFront } from '../../common/pareto.js'
import { applyFilters, type ExploreFilters } from '../../renderer/src/stores/explore.js'
import ExploreScatter from '../../renderer/src/components/ExploreScatter.vue'
import type { ExploreDataset, LineageLine, ScatterDatum } from '../../renderer/src/charts/explore-data.js'
import type { StyledScatterType } from '../../renderer/src/charts/styled-scatter.js'
import { installCanvasStub } from './canvas-stub.js'
import { syntheticPoints } from './fake-bridge.js'

beforeAll(installCanvasStub)

interface ScatterVm {
  getChart(): Chart<StyledScatterType, ScatterDatum[]> | null
  getLineage(): readonly LineageLine[]
  updateCount(): number
}

const noFilter = (): ExploreFilters => ({ devices: new Set(), families: new Set(), variants: new Set() })

function mountScatter(points: ExplorePoint[], visible = points) {
  return mount(ExploreScatter, {
    props: { points, visible, xAxis: 'latencyP50Us', logX: true },
    attachTo: document.body,
  })
}

/** The mounted component's chart; a test fails here when there is none. */
function chartOf(w: { vm: unknown }): Chart<StyledScatterType, ScatterDatum[]> {
  const chart = (w.vm as ScatterVm).getChart()
  if (!chart) throw new Error('no chart')
  return chart
}

const pointsOf = (chart: Chart<StyledScatterType, ScatterDatum[]>): number =>
  chart.data.datasets
    .filter((d) => (d as ExploreDataset).role === 'points')
    .reduce((n, d) => n + d.data.length, 0)

describe('ExploreScatter', () => {
  it('draws every measured point, one dataset and one Pareto step line per device', async () => {
    const points = syntheticPoints(300)
    const w = mountScatter(points)
    await nextTick()
    const chart = (w.vm as unknown as ScatterVm).getChart()
    expect(chart).not.toBeNull()
    if (!chart) return
    expect(pointsOf(chart)).toBe(300)
    const fronts = chart.data.datasets.filter((d) => (d as ExploreDataset).role === 'front')
    expect(fronts.map((d) => (d as ExploreDataset).device).sort()).toEqual(['local', 'rpi4', 'stm32h7'])
    // The drawn front is exactly common/pareto's front for that device.
    const local = fronts.find((d) => (d as ExploreDataset).device === 'local')
    const expected = paretoFront(
      points.filter((p) => p.device === 'local'),
      (p) => p.latencyP50Us,
      (p) => p.top1,
    )
    expect(local?.data.map((d) => d.point.key)).toEqual(expected.map((p) => p.key))
    expect(w.emitted('plotted')?.[0]).toEqual([300])
    w.unmount()
  })

  it('a filter change updates the SAME chart in place with update("none"), never a rebuild', async () => {
    const points = syntheticPoints(2000)
    const w = mountScatter(points)
    await nextTick()
    const vm = w.vm as unknown as ScatterVm
    const chart = vm.getChart()
    if (!chart) throw new Error('no chart')
    const update = vi.spyOn(chart, 'update')
    const destroy = vi.spyOn(chart, 'destroy')

    const filters = noFilter()
    filters.devices.add('rpi4')
    filters.variants.add('int8')
    const visible = applyFilters(points, filters)
    await w.setProps({ visible })
    await nextTick()

    expect(vm.getChart()).toBe(chart)
    expect(destroy).not.toHaveBeenCalled()
    expect(update).toHaveBeenCalledWith('none')
    expect(pointsOf(chart)).toBe(visible.length)
    expect(chart.data.datasets.some((d) => (d as ExploreDataset).device === 'rpi4')).toBe(false)
    expect(vm.updateCount()).toBe(1)

    // Axis changes too: log → linear, latency → MACs, same instance.
    await w.setProps({ logX: false, xAxis: 'macs' })
    await nextTick()
    expect(vm.getChart()).toBe(chart)
    expect(chart.options.scales?.x?.type).toBe('linear')
    const first = chart.data.datasets[0]?.data[0]
    expect(first?.x).toBe(first?.point.macs)
    w.unmount()
    expect(destroy).toHaveBeenCalledTimes(1)
  })

  it('gives every drawn point its own marker, fill and outline (shared resolution never mixes styles)', async () => {
    const points = syntheticPoints(400)
    const w = mountScatter(points)
    await nextTick()
    const chart = chartOf(w)
    const check = (): number => {
      let seen = 0
      chart.data.datasets.forEach((d, di) => {
        const ds = d as ExploreDataset
        if (ds.role !== 'points') return
        const at = <T,>(v: T | readonly T[] | undefined, i: number): T | undefined => (Array.isArray(v) ? (v as T[])[i] : (v as T))
        chart.getDatasetMeta(di).data.forEach((el, i) => {
          const o = el.options as unknown as Record<string, unknown>
          expect([o.pointStyle, o.backgroundColor, o.borderColor, o.borderWidth]).toEqual([
            at(ds.pointStyle, i),
            at(ds.backgroundColor, i),
            at(ds.borderColor, i),
            at(ds.borderWidth, i),
          ])
          seen++
        })
      })
      return seen
    }
    expect(check()).toBe(400)
    // The styles differ within a dataset (families, variant outlines, the front), so this can fail.
    const first = chart.data.datasets.find((d) => (d as ExploreDataset).role === 'points') as ExploreDataset
    expect(new Set(first.styleKeys).size).toBeGreaterThan(4)
    const filters = noFilter()
    filters.families.add('resnet')
    await w.setProps({ visible: applyFilters(points, filters) })
    await nextTick()
    expect(check()).toBeGreaterThan(0)
    // Hover: the active point takes the hover radius, its neighbours of the same style do not.
    const meta = chart.getDatasetMeta(chart.data.datasets.indexOf(chart.data.datasets.find((d) => (d as ExploreDataset).role === 'points')!))
    chart.setActiveElements([{ datasetIndex: meta.index, index: 0 }])
    chart.update('none')
    expect((meta.data[0]?.options as unknown as { radius: number }).radius).toBe(7)
    expect((meta.data[1]?.options as unknown as { radius: number }).radius).toBe(5)
    w.unmount()
  })

  it('leaves out points without accuracy or without the chosen figure, and says how many it drew', async () => {
    const points = syntheticPoints(10)
    const p0 = points[0]
    const p1 = points[1]
    if (!p0 || !p1) throw new Error('points')
    p0.top1 = null
    p1.peakRssBytes = null
    const w = mountScatter(points)
    await nextTick()
    await w.setProps({ xAxis: 'peakRssBytes' })
    await nextTick()
    const chart = chartOf(w)
    expect(pointsOf(chart)).toBe(8)
    expect(w.emitted('plotted')?.at(-1)).toEqual([8])
    w.unmount()
  })

  it('keeps a device in its colour when other devices are filtered out', async () => {
    const points = syntheticPoints(30)
    const w = mountScatter(points)
    await nextTick()
    const chart = chartOf(w)
    const colourOf = (device: string): unknown =>
      chart.data.datasets.find(
        (d) => (d as ExploreDataset).role === 'front' && (d as ExploreDataset).device === device,
      )?.borderColor
    const before = colourOf('stm32h7')
    const f = noFilter()
    f.devices.add('local')
    await w.setProps({ visible: applyFilters(points, f) })
    await nextTick()
    expect(colourOf('stm32h7')).toBe(before)
    w.unmount()
  })
})

describe('x bounds', () => {
  it('keeps a lone point off the edge of the chart', async () => {
    const { xBounds, buildDatasets, paletteFor } = await import('../../renderer/src/charts/explore-data.js')
    const points = syntheticPoints(1)
    const x = points[0]?.latencyP50Us ?? 0
    const o = { xAxis: 'latencyP50Us', yAxis: 'top1', logX: true, logY: false, lineage: true } as const
    const log = xBounds(buildDatasets(points, paletteFor(points), o).datasets, true)
    expect(log.min).toBeLessThan(x)
    expect(log.max).toBeGreaterThan(x)
    const lin = xBounds(buildDatasets(points, paletteFor(points), { ...o, logX: false }).datasets, false)
    expect(lin).toEqual({ min: 0, max: x * 1.08 })
    expect(xBounds([], true)).toEqual({ min: undefined, max: undefined })
  })
})

describe('ExploreScatter axes, lineage, markers, keyboard and plugins', () => {
  const mountWith = (points: ExplorePoint[], extra: Record<string, unknown> = {}) =>
    mount(ExploreScatter, {
      props: { points, visible: points, xAxis: 'latencyP50Us', logX: true, ...extra },
      attachTo: document.body,
    })

  it('fits y to the data, and gives the full 0–100 % scale when asked', async () => {
    const points = syntheticPoints(40).map((p) => ({ ...p, top1: 0.9 + (p.modelId % 5) / 100 }))
    const w = mountWith(points)
    await nextTick()
    const chart = chartOf(w)
    expect(chart.options.scales?.y?.min).toBeGreaterThan(85)
    expect(chart.options.scales?.y?.max).toBeLessThanOrEqual(100)
    await w.setProps({ fitY: false })
    await nextTick()
    expect([chart.options.scales?.y?.min, chart.options.scales?.y?.max]).toEqual([0, 100])
    w.unmount()
  })

  it('plots Δ top-1 against the parent, variants only, in percentage points', async () => {
    const points = syntheticPoints(40)
    const w = mountWith(points, { yAxis: 'top1Delta' })
    await nextTick()
    const chart = chartOf(w)
    const plotted = chart.data.datasets.filter((d) => (d as ExploreDataset).role === 'points').flatMap((d) => d.data)
    expect(plotted).toHaveLength(30)
    for (const d of plotted) expect(d.y).toBeCloseTo((d.point.top1Delta ?? 0) * 100, 9)
    w.unmount()
  })

  it('joins each parent to its variants, one curve per method, on screen and in the SVG export', async () => {
    const { chartToSvg } = await import('../../renderer/src/charts/explore-export.js')
    const points = syntheticPoints(8)
    const w = mountWith(points)
    await nextTick()
    const vm = w.vm as unknown as ScatterVm
    const chart = vm.getChart()
    if (!chart) throw new Error('no chart')
    const curves = vm.getLineage().flatMap((l) => l.data).filter((d) => Number.isNaN(d.x)).length
    expect(curves).toBe(6) // two originals × three methods
    const colors = { background: '#fff', foreground: '#000', grid: '#ccc' }
    const lineagePaths = (): string[] =>
      [...chartToSvg(chart, colors, 't', vm.getLineage()).matchAll(/<path d="([^"]*)" fill="none" stroke="rgba[^"]*0\.35\)"/g)].map((m) => m[1] ?? '')
    // Each curve starts with a move, parent first, then its variant.
    expect(lineagePaths().join('').match(/M/g)).toHaveLength(6)
    await w.setProps({ lineage: false })
    await nextTick()
    expect(vm.getLineage()).toEqual([])
    expect(lineagePaths()).toEqual([])
    w.unmount()
  })

  it('keeps a family’s marker when other families are filtered out or added', async () => {
    const { paletteFor } = await import('../../renderer/src/charts/explore-data.js')
    const points = syntheticPoints(64)
    const palette = paletteFor(points.filter((p) => p.family === 'squeezenet'))
    const first = palette.shapes.get('squeezenet')
    paletteFor(points, palette)
    paletteFor([...points, { ...points[0]!, key: 'new', family: 'aaa-new-family' }], palette)
    expect(palette.shapes.get('squeezenet')).toBe(first)
    // Markers come from the name, so the same families get the same markers in every view and report.
    expect(paletteFor(points).shapes).toEqual(paletteFor([...points].reverse()).shapes)
    expect(new Set(paletteFor(points).shapes.values()).size).toBe(4)
  })

  it('moves between points with the arrow keys, announces them, opens with Enter and selects with Space', async () => {
    const points = syntheticPoints(12)
    const w = mountWith(points)
    await nextTick()
    const focus = w.find('[aria-roledescription="scatter chart"]')
    await focus.trigger('keydown', { key: 'ArrowRight' })
    const status = w.find('[data-testid=explore-focused]')
    expect(status.text()).toMatch(/^Point 1 of 12: /)
    const lowest = [...points].sort((a, b) => (a.latencyP50Us ?? 0) - (b.latencyP50Us ?? 0))[0]
    expect(status.text()).toContain(lowest?.model)
    await focus.trigger('keydown', { key: 'ArrowRight' })
    expect(status.text()).toMatch(/^Point 2 of 12: /)
    await focus.trigger('keydown', { key: 'Enter' })
    await focus.trigger('keydown', { key: ' ' })
    const selects = w.emitted('select') as [ExplorePoint, boolean][]
    expect(selects.map(([, additive]) => additive)).toEqual([false, true])
    expect(selects[0]?.[0].key).toBe(selects[1]?.[0].key)
    w.unmount()
  })

  it('zooms in steps and resets, and takes an extra plugin with its options', async () => {
    let drawn = 0
    const plugin = { id: 'ebTestLines', afterUpdate: () => void drawn++ }
    const points = syntheticPoints(30)
    const w = mountWith(points, { plugins: [plugin], pluginOptions: { ebTestLines: { limit: 1 } } })
    await nextTick()
    const vm = w.vm as unknown as ScatterVm & { zoomBy(f: number): void; resetZoom(): void }
    const chart = vm.getChart()
    if (!chart) throw new Error('no chart')
    expect(drawn).toBeGreaterThan(0)
    expect((chart.options.plugins as Record<string, unknown>).ebTestLines).toEqual({ limit: 1 })
    const before = chart.scales.x!.max - chart.scales.x!.min
    vm.zoomBy(2)
    expect(chart.scales.x!.max - chart.scales.x!.min).toBeLessThan(before)
    expect(w.emitted('zoomed')?.at(-1)).toEqual([true])
    vm.resetZoom()
    expect(w.emitted('zoomed')?.at(-1)).toEqual([false])
    w.unmount()
  })
})
