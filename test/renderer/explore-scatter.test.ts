// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import type { Chart } from 'chart.js'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import type { ExplorePoint } from '../../common/api.js'
import { paretoFront } from '../../common/pareto.js'
import { applyFilters, type ExploreFilters } from '../../renderer/src/stores/explore.js'
import ExploreScatter from '../../renderer/src/components/ExploreScatter.vue'
import type { ExploreDataset, ScatterDatum } from '../../renderer/src/charts/explore-data.js'
import { installCanvasStub } from './canvas-stub.js'
import { syntheticPoints } from './fake-bridge.js'

beforeAll(installCanvasStub)

interface ScatterVm {
  getChart(): Chart<'scatter', ScatterDatum[]> | null
  updateCount(): number
}

const noFilter = (): ExploreFilters => ({ devices: new Set(), families: new Set(), variants: new Set() })

function mountScatter(points: ExplorePoint[], visible = points) {
  return mount(ExploreScatter, {
    props: { points, visible, xAxis: 'latencyP50Us', logX: true },
    attachTo: document.body,
  })
}

const pointsOf = (chart: Chart<'scatter', ScatterDatum[]>): number =>
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
    const chart = (w.vm as unknown as ScatterVm).getChart()
    if (!chart) throw new Error('no chart')
    expect(pointsOf(chart)).toBe(8)
    expect(w.emitted('plotted')?.at(-1)).toEqual([8])
    w.unmount()
  })

  it('keeps a device in its colour when other devices are filtered out', async () => {
    const points = syntheticPoints(30)
    const w = mountScatter(points)
    await nextTick()
    const chart = (w.vm as unknown as ScatterVm).getChart()
    if (!chart) throw new Error('no chart')
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
    const log = xBounds(buildDatasets(points, 'latencyP50Us', paletteFor(points), true).datasets, true)
    expect(log.min).toBeLessThan(x)
    expect(log.max).toBeGreaterThan(x)
    const lin = xBounds(buildDatasets(points, 'latencyP50Us', paletteFor(points), false).datasets, false)
    expect(lin).toEqual({ min: 0, max: x * 1.08 })
    expect(xBounds([], true)).toEqual({ min: undefined, max: undefined })
  })
})
