// @vitest-environment happy-dom
/**
 * The Recommend panel against a fake bridge whose answers come from the real ranking
 * (common/recommend.ts): what it sends, the answer card with its why, the runners-up and what the
 * rejected break, and "Fill the gaps" with progress, cancel and the answer it brings.
 */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import PrimeVue from 'primevue/config'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import type { DeviceSummary, RecommendRequest, RecommendResult } from '../../common/api.js'
import { recommend, type Candidate } from '../../common/recommend.js'
import { setBridge } from '../../renderer/src/api/index.js'
import { useConstraintsStore } from '../../renderer/src/stores/constraints.js'
import RecommendView from '../../renderer/src/views/RecommendView.vue'
import { fakeBridge, type FakeBridge } from './fake-bridge.js'

const candidate = (id: number, name: string, top1: number, p50: number, size: number): Candidate => ({
  modelId: id,
  modelName: name,
  family: null,
  variant: name.includes('int8') ? 'int8' : 'fp32',
  parentId: null,
  top1,
  evalCount: 10_000,
  dataset: 'fashion-mnist test',
  latencyP50Us: p50,
  latencyP90Us: p50 * 1.2,
  sizeBytes: size,
  memoryBytes: 2_000_000,
  memorySource: 'measured',
  benchRunId: 10 + id,
  evalRunId: 20 + id,
})
const CANDIDATES = [
  candidate(1, 'mobilenetv2', 0.923, 6200, 790_000),
  candidate(2, 'resnet8', 0.918, 3000, 314_000),
  candidate(3, 'resnet8-int8', 0.915, 1800, 90_000),
]
const device = (name: string, kind: DeviceSummary['kind']): DeviceSummary => ({
  id: 1,
  name,
  kind,
  config: {},
  info: null,
  status: { state: 'unknown' },
  createdAt: '',
  updatedAt: '',
})

let bridge: FakeBridge
let pinia: Pinia
let router: Router
let wrapper: VueWrapper | null = null

const $ = (sel: string): HTMLElement | null => document.body.querySelector<HTMLElement>(sel)
const text = (sel: string): string => $(sel)?.textContent?.replace(/\s+/g, ' ').trim() ?? ''
const answer = (req: RecommendRequest): RecommendResult => ({ ...recommend(req.device, CANDIDATES, req.constraints), deviceKind: 'local', dataset: 'fashion-mnist' })

beforeEach(async () => {
  pinia = createPinia()
  setActivePinia(pinia)
  bridge = fakeBridge({
    'datasets:list': () => [],
    'devices:list': () => [device('local', 'local'), device('nucleo', 'serial')],
    'models:list': () => [],
    'recommend:query': (p) => answer(p as RecommendRequest),
    'recommend:fill': () => ({ jobId: 7 }),
    'jobs:cancel': () => ({ cancelled: true }),
    'explore:points': () => [],
  })
  setBridge(bridge)
  router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:any(.*)*', component: { template: '<div />' } }] })
  await router.push('/recommend')
})

afterEach(() => {
  wrapper?.unmount()
  wrapper = null
  setBridge(null)
  document.body.innerHTML = ''
})

function mountView(): VueWrapper {
  wrapper = mount(RecommendView, { global: { plugins: [pinia, router, PrimeVue] }, attachTo: document.body })
  return wrapper
}

describe('RecommendView', () => {
  it('asks with the constraints in engine units and shows the choice, why, runners-up and what the others break', async () => {
    mountView()
    await flushPromises()
    expect(bridge.calls.find((c) => c.channel === 'recommend:query')?.payload).toEqual({ device: 'local', constraints: { latencyStat: 'p50' } })
    expect(text('[data-testid="recommend-choice"]')).toContain('Put mobilenetv2')

    const c = useConstraintsStore()
    c.latency = { value: 5, unit: 'ms' }
    c.size = { value: 512, unit: 'KiB' }
    await flushPromises()
    $('[data-testid="recommend-run"]')?.click()
    await flushPromises()
    const sent = bridge.calls.filter((x) => x.channel === 'recommend:query').at(-1)?.payload as RecommendRequest
    expect(sent.constraints).toEqual({ latencyStat: 'p50', maxLatencyUs: 5000, maxSizeBytes: 524_288 })
    const card = text('[data-testid="recommend-choice"]')
    expect(card).toContain('Put resnet8 fp32 on local')
    expect(card).toContain('91.8 % top-1 · fashion-mnist test · 10,000')
    expect(card).toContain('3.00 ms p50')
    expect(card).toContain('peak RSS, measured')
    expect(card).toMatch(/Latency is the median \(p50\) of run #12; top-1 from run #22/)
    expect(text('[data-testid="recommend-alternatives"]')).toContain('resnet8-int8')
    expect(text('[data-testid="recommend-rejected"]')).toContain('latency p50 6.20 ms > 5.00 ms (+24.0 %); size 771 KiB > 512 KiB (+50.7 %)')
    // Every form control has a label a screen reader reads.
    for (const id of ['rec-device', 'rec-latency', 'rec-stat', 'rec-size', 'rec-memory', 'rec-top1', 'rec-models', 'rec-dataset']) {
      expect(document.body.querySelector(`label[for="${id}"]`), id).not.toBeNull()
    }
    expect($('[aria-label="Max latency unit"]')).not.toBeNull()
  })

  it('nothing meeting the constraints shows the closest candidates', async () => {
    const c = useConstraintsStore()
    c.latency = { value: 10, unit: 'µs' }
    mountView()
    await flushPromises()
    expect(text('[data-testid="recommend-none"]')).toContain('Nothing on local meets latency p50 ≤ 10.0 µs')
    // The closest miss first: the fastest one, however much better the others' top-1.
    const rows = [...document.body.querySelectorAll('[data-testid="recommend-rejected"] tbody tr')].map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim()))
    expect(rows.map((r) => r[0])).toEqual(['resnet8-int8', 'resnet8', 'mobilenetv2'])
    expect(rows[0]?.[4]).toBe('latency p50 1.80 ms > 10.0 µs (180× the limit)')
  })

  it('on a serial board the memory field says it is an estimate', async () => {
    mountView()
    await flushPromises()
    useConstraintsStore().device = 'nucleo'
    await flushPromises()
    expect(text('#rec-memory-hint')).toContain('estimate on this board: static peak activations + weights')
  })

  it('Fill the gaps: progress, cancel, and the answer the job brings', async () => {
    mountView()
    await flushPromises()
    $('[data-testid="recommend-fill"]')?.click()
    await flushPromises()
    expect(bridge.calls.some((c) => c.channel === 'recommend:fill')).toBe(true)
    bridge.emit('job:progress', { jobId: 7, kind: 'fill', progress: { phase: 'latency', done: 2, total: 8, fraction: 0.3, message: 'latency of resnet8-fp16 on local' } })
    await flushPromises()
    expect(document.body.textContent).toContain('latency of resnet8-fp16 on local')
    expect($('[aria-label="Filling the gaps: 30 %"]')).not.toBeNull()
    $('[data-testid="recommend-fill-cancel"]')?.click()
    await flushPromises()
    expect(bridge.calls.find((c) => c.channel === 'jobs:cancel')?.payload).toEqual({ jobId: 7 })
    const filled = { ...answer({ device: 'local', constraints: { maxLatencyUs: 2000 } }), fill: { derived: 2, runs: 6, steps: 8, dataset: 'fashion-mnist', failed: [] } }
    bridge.emit('job:finished', { jobId: 7, kind: 'fill', ok: true, value: filled })
    await flushPromises()
    expect(text('[data-testid="recommend-choice"]')).toContain('Put resnet8-int8')
    expect($('[data-testid="recommend-fill"]')).not.toBeNull()
  })
})
