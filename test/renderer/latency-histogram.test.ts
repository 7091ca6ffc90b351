// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import type { Chart } from 'chart.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import { histogram } from '../../renderer/src/charts/histogram.js'
import LatencyHistogram from '../../renderer/src/components/LatencyHistogram.vue'
import { installCanvasStub } from './canvas-stub.js'

beforeAll(installCanvasStub)

describe('histogram', () => {
  it('puts every sample in exactly one bin, the maximum in the last', () => {
    const s = [100, 120, 130, 150, 500]
    const h = histogram(s, 4)
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5)
    expect(h.counts.at(-1)).toBeGreaterThan(0)
    expect(histogram([]).counts).toEqual([])
    expect(histogram([7, 7, 7]).counts.reduce((a, b) => a + b, 0)).toBe(3)
  })
})

describe('LatencyHistogram', () => {
  it('grows with a live run on the same chart', async () => {
    const samples = Array.from({ length: 50 }, (_, i) => 1000 + i * 3)
    const w = mount(LatencyHistogram, { props: { samples }, attachTo: document.body })
    await nextTick()
    const vm = w.vm as unknown as { getChart(): Chart<'bar', number[], string> | null }
    const chart = vm.getChart()
    if (!chart) throw new Error('no chart')
    const total = (): number => (chart.data.datasets[0]?.data ?? []).reduce((a, b) => a + b, 0)
    expect(total()).toBe(50)
    await w.setProps({ samples: [...samples, ...Array.from({ length: 150 }, (_, i) => 1100 + i)] })
    await nextTick()
    expect(vm.getChart()).toBe(chart)
    expect(total()).toBe(200)
    w.unmount()
  })
})
