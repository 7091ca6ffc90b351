// @vitest-environment happy-dom
/**
 * The Sweep dialog against a fake bridge: the grid it sends (the default one, minus what is
 * unticked), the result table, and the way to Explore.
 */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import PrimeVue from 'primevue/config'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import type { ModelInfo } from '../../common/api.js'
import { DEFAULT_SWEEP, type SweepRow } from '../../common/compress.js'
import { setBridge } from '../../renderer/src/api/index.js'
import SweepDialog from '../../renderer/src/components/SweepDialog.vue'
import { useCompressStore } from '../../renderer/src/stores/compress.js'
import { fakeBridge, type FakeBridge } from './fake-bridge.js'

const parent: ModelInfo = {
  id: 1,
  name: 'resnet8',
  path: '/zoo/resnet8.onnx',
  sha256: 'a',
  family: 'resnet',
  kind: 'fp32',
  parentId: null,
  recipe: null,
  card: { dataset: 'fashion-mnist' },
  createdAt: '',
  params: 77418,
  macs: 9_345_920,
  fileBytes: 314_002,
}

function row(label: string, p50Us: number, speedup: number, top1: number, top1Delta: number, error: string | null = null): SweepRow {
  return {
    modelId: 1,
    name: `resnet8-${label}`,
    label,
    method: label,
    device: 'local',
    params: 77418,
    macs: 9_345_920,
    fileBytes: 314_002,
    gzipBytes: 290_000,
    p50Us,
    p90Us: p50Us * 1.1,
    speedup,
    top1,
    top1Delta,
    benchRunId: 1,
    evalRunId: 2,
    error,
    why: [],
  }
}

let bridge: FakeBridge
let pinia: Pinia
let router: Router
let wrapper: VueWrapper | null = null
let off: (() => void) | null = null

const $ = (sel: string): HTMLElement | null => document.body.querySelector<HTMLElement>(sel)
const text = (sel: string): string => $(sel)?.textContent?.replace(/\s+/g, ' ').trim() ?? ''

beforeEach(async () => {
  pinia = createPinia()
  setActivePinia(pinia)
  bridge = fakeBridge({
    'datasets:list': () => [],
    'devices:list': () => [],
    'models:list': () => [parent],
    'sweeps:start': () => ({ jobId: 3 }),
  })
  setBridge(bridge)
  router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/models', component: { template: '<div />' } },
      { path: '/explore', component: { template: '<div />' } },
    ],
  })
  await router.push('/models')
})

afterEach(() => {
  off?.()
  wrapper?.unmount()
  wrapper = null
  setBridge(null)
  document.body.innerHTML = ''
})

describe('SweepDialog', () => {
  it('sends the default grid minus what is unticked, then shows the table and opens Explore', async () => {
    wrapper = mount(SweepDialog, {
      props: { model: parent, visible: true },
      global: { plugins: [pinia, router, PrimeVue] },
      attachTo: document.body,
    })
    off = useCompressStore().subscribe()
    await flushPromises()
    expect(document.body.querySelectorAll('[data-testid="sweep-form"] input[type="checkbox"]')).toHaveLength(DEFAULT_SWEEP.length)
    $('#sweep-pruned-u90')?.click()
    await flushPromises()
    $('[data-testid="sweep-start"]')?.click()
    await flushPromises()
    const sent = bridge.calls.find((c) => c.channel === 'sweeps:start')?.payload as { recipes: unknown[]; devices: string[]; limit: number }
    expect(sent.devices).toEqual(['local'])
    expect(sent.limit).toBe(1000)
    expect(sent.recipes).toEqual(DEFAULT_SWEEP.filter((r) => !(r.method === 'prune-unstructured' && r.sparsity === 0.9)))

    bridge.emit('job:progress', { jobId: 3, kind: 'sweep', progress: { phase: 'derive', done: 2, total: 20, fraction: 0.1, message: 'derived int8-dynamic' } })
    await flushPromises()
    expect(text('[data-testid="sweep-job"]')).toContain('derived int8-dynamic')

    const failed: SweepRow = { ...row('fp16', 0, 0, 0, 0, 'MODEL_INVALID: no'), p50Us: null, p90Us: null, speedup: null, top1: null, top1Delta: null }
    const slow: SweepRow = { ...row('int8-dynamic', 1900, 1.05, 0.918, -0.0006), why: ['dynamic quantization re-quantizes every activation at run time'] }
    const rows = [row('fp32', 2000, 1, 0.9186, 0), row('pruned-s50', 800, 2.5, 0.9012, -0.0174), failed, slow]
    bridge.emit('job:finished', { jobId: 3, kind: 'sweep', ok: true, value: { parent: 'resnet8', rows, variants: [] } })
    await flushPromises()
    const table = text('[data-testid="sweep-table"]')
    expect(table).toContain('pruned-s50')
    expect(table).toContain('2.50×')
    expect(table).toContain('-1.74 pp')
    expect(table).toContain('800 µs')
    expect(table).toContain('MODEL_INVALID: no')
    expect(text('[data-testid="sweep-why"]')).toContain('re-quantizes every activation')
    $('[data-testid="sweep-explore"]')?.click()
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/explore')
  })
})
