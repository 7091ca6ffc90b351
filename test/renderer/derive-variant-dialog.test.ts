// @vitest-environment happy-dom
/**
 * The Derive variant dialog against a fake bridge: the recipe it sends (defaults from the issue),
 * progress from 'job:progress', cancel, the figures on 'job:finished', and errors shown with code.
 */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import PrimeVue from 'primevue/config'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DerivedVariant, ModelInfo } from '../../common/api.js'
import type { VariantReport } from '../../common/compress.js'
import { setBridge } from '../../renderer/src/api/index.js'
import DeriveVariantDialog from '../../renderer/src/components/DeriveVariantDialog.vue'
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

const variant: ModelInfo = {
  ...parent,
  id: 2,
  name: 'resnet8-int8-minmax',
  path: '/data/variants/resnet8-int8-minmax.onnx',
  kind: 'int8',
  parentId: 1,
  recipe: { method: 'int8-static', params: { method: 'int8-static', calibrator: 'minmax', samples: 500 } },
}

const report: VariantReport = {
  label: 'int8-minmax',
  recipe: { method: 'int8-static', calibrator: 'minmax', perChannel: true, activationType: 'uint8', exclude: [], samples: 500 },
  file: variant.path,
  params: 77418,
  macs: 9_345_920,
  fileBytes: 95_000,
  gzipBytes: 80_000,
  parent: { params: 77418, macs: 9_345_920, fileBytes: 314_002, gzipBytes: 290_000 },
  seconds: 3.2,
  quantization: {
    quantizedNodes: [
      { name: 'conv1', op: 'QLinearConv' },
      { name: 'conv2', op: 'QLinearConv' },
      { name: 'add1', op: 'QLinearAdd' },
    ],
    fallback: [{ name: 'softmax', op: 'Softmax', reason: 'no int8 kernel in the quantizer' }],
    boundaries: 2,
    layers: [
      { tensor: 'conv1_out', cosine: 0.9999, relativeL2: 0.01 },
      { tensor: 'conv7_out', cosine: 0.9712, relativeL2: 0.21 },
    ],
    agreement: { top1: 0.985, meanCosine: 0.998, samples: 200 },
    calibration: { dataset: 'fashion-mnist', split: 'calibration', samples: 500, calibrator: 'minmax' },
    activationType: 'uint8',
    dynamic: false,
    addedTransposes: 3,
    depthwiseMacShare: 0,
  },
  notes: ['Latency on this computer: see a benchmark run.'],
}

let bridge: FakeBridge
let pinia: Pinia
let wrapper: VueWrapper | null = null
let off: (() => void) | null = null

function mountDialog(): VueWrapper {
  wrapper = mount(DeriveVariantDialog, {
    props: { model: parent, visible: true },
    global: { plugins: [pinia, PrimeVue] },
    attachTo: document.body,
  })
  off = useCompressStore().subscribe()
  return wrapper
}

/** The dialog teleports to <body>; look it up there. */
const $ = (sel: string): HTMLElement | null => document.body.querySelector<HTMLElement>(sel)
const text = (sel: string): string => $(sel)?.textContent?.replace(/\s+/g, ' ').trim() ?? ''

async function click(sel: string): Promise<void> {
  const el = $(sel)
  if (!el) throw new Error(`nothing matches ${sel}`)
  el.click()
  await flushPromises()
}

beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  let nextJob = 7
  bridge = fakeBridge({
    'datasets:list': () => [],
    'models:list': () => [parent, variant],
    'variants:derive': () => ({ jobId: nextJob++ }),
    'jobs:cancel': () => ({ cancelled: true }),
  })
  setBridge(bridge)
})

afterEach(() => {
  off?.()
  wrapper?.unmount()
  wrapper = null
  setBridge(null)
  document.body.innerHTML = ''
})

describe('DeriveVariantDialog', () => {
  it('sends the default INT8 static recipe, shows progress, then the figures of the variant', async () => {
    mountDialog()
    await flushPromises()
    expect($('[data-testid="derive-form"]')).not.toBeNull()
    await click('[data-testid="derive-start"]')
    const sent = bridge.calls.find((c) => c.channel === 'variants:derive')
    expect(sent?.payload).toEqual({
      modelId: 1,
      recipe: { method: 'int8-static', calibrator: 'minmax', perChannel: true, activationType: 'uint8', exclude: [], samples: 500 },
    })

    bridge.emit('job:progress', {
      jobId: 7,
      kind: 'derive',
      progress: { phase: 'calibrate', done: 200, total: 500, fraction: 0.4, message: 'calibrating: 200 of 500 samples' },
    })
    await flushPromises()
    expect(text('[data-testid="derive-job"]')).toContain('calibrating: 200 of 500 samples')
    expect($('[role="progressbar"]')?.getAttribute('aria-valuenow')).toBe('40')

    const value: DerivedVariant = { model: variant, report }
    bridge.emit('job:finished', { jobId: 7, kind: 'derive', ok: true, value })
    await flushPromises()
    const shown = text('[data-testid="derive-report"]')
    expect(shown).toContain('307 KiB') // parent file
    expect(shown).toContain('92.8 KiB') // variant file
    expect(shown).toContain('30 %') // of parent
    expect(text('[data-testid="agreement"]')).toContain('98.5 %')
    expect(shown).toContain('QLinearConv × 2')
    expect(shown).toContain('ONNX Runtime added 3 layout Transposes')
    expect(text('[data-testid="fallback"]')).toContain('1 node fell back to float:softmax (Softmax)')
    expect(text('[data-testid="fallback"]')).toContain('no int8 kernel in the quantizer')
    // The worst drift comes first.
    expect($('[data-testid="worst-layers"] tbody tr')?.textContent).toContain('conv7_out')
    expect(text('[data-testid="notes"]')).toContain('Latency on this computer')
    expect(wrapper?.emitted('derived')?.[0]).toEqual([2])
    // The model list was reloaded so the variant shows under its parent.
    expect(bridge.calls.some((c) => c.channel === 'models:list')).toBe(true)
  })

  it('sends a structured pruning recipe, cancels it, and shows the CANCELLED error', async () => {
    mountDialog()
    await flushPromises()
    await click('#method-prune-structured')
    expect(($('#ratio') as HTMLInputElement | null)?.value).toBe('0.50')
    await click('[data-testid="derive-start"]')
    expect(bridge.calls.find((c) => c.channel === 'variants:derive')?.payload).toEqual({
      modelId: 1,
      recipe: { method: 'prune-structured', ratio: 0.5, criterion: 'l1' },
    })
    await click('[data-testid="derive-cancel"]')
    expect(bridge.calls.find((c) => c.channel === 'jobs:cancel')?.payload).toEqual({ jobId: 7 })
    bridge.emit('job:finished', {
      jobId: 7,
      kind: 'derive',
      ok: false,
      error: { code: 'CANCELLED', message: 'Cancelled by the user; variants and runs finished before stay stored.' },
    })
    await flushPromises()
    expect(text('[data-testid="error-notice"]')).toContain('CANCELLED')
    expect($('[data-testid="derive-report"]')).toBeNull()
  })

  it('shows a refused request with its code and keeps the form', async () => {
    bridge = fakeBridge({
      'datasets:list': () => [],
      'variants:derive': () => {
        throw Object.assign(new Error("Invalid request for variants:derive at 'recipe.sparsity': The sparsity must be between 0 and 1"), {
          code: 'BAD_INPUT',
        })
      },
    })
    setBridge(bridge)
    mountDialog()
    await flushPromises()
    await click('#method-prune-unstructured')
    await click('[data-testid="derive-start"]')
    expect(text('[data-testid="error-notice"]')).toContain('BAD_INPUT')
    expect(text('[data-testid="error-notice"]')).toContain('recipe.sparsity')
    expect($('[data-testid="derive-form"]')).not.toBeNull()
  })

  it('asks for calibration data when the model has no dataset, for INT8 dynamic too', async () => {
    wrapper = mount(DeriveVariantDialog, {
      props: { model: { ...parent, card: null }, visible: true },
      global: { plugins: [pinia, PrimeVue] },
      attachTo: document.body,
    })
    await flushPromises()
    expect(text('.hint')).toContain('no dataset set')
    expect(($('[data-testid="derive-start"]') as HTMLButtonElement | null)?.disabled).toBe(true)
    await click('#method-int8-dynamic')
    // INT8 dynamic has a data field now (its agreement with FP32 reads samples).
    expect($('#calibration')).not.toBeNull()
    await click('#method-fp16')
    expect(($('[data-testid="derive-start"]') as HTMLButtonElement | null)?.disabled).toBe(false)
  })

  it('prunes to a MACs target, then shows the recovery and the per-layer sensitivity chart', async () => {
    mountDialog()
    await flushPromises()
    await click('#method-prune-structured')
    await click('#prune-by-target')
    await click('[data-testid="derive-start"]')
    expect(bridge.calls.find((c) => c.channel === 'variants:derive')?.payload).toEqual({
      modelId: 1,
      recipe: { method: 'prune-structured', targetMacs: 0.5, criterion: 'l1' },
    })
    const pruned: VariantReport = {
      ...report,
      label: 'pruned-m50',
      recipe: { method: 'prune-structured', targetMacs: 0.5, criterion: 'l1' },
      quantization: undefined,
      macs: 4_630_000,
      prune: {
        method: 'structured',
        ratio: 0.4,
        criterion: 'l1',
        targetMacs: 0.5,
        layers: [{ name: 'stack3/conv1', before: 64, after: 16 }],
        skipped: [],
        sensitivity: {
          samples: 128,
          groups: [
            { name: 'stem + stack1/conv2', channels: 16, points: [0.25, 0.5, 0.75].map((ratio, i) => ({ ratio, drift: 0.5 * (i + 1) })), chosen: 0.25 },
            { name: 'stack3/conv1', channels: 64, points: [0.25, 0.5, 0.75].map((ratio, i) => ({ ratio, drift: 0.1 * (i + 1) })), chosen: 0.75 },
          ],
        },
        recovery: { method: 'ls', layers: 9, biasOnly: 0, passes: 8, samples: 500 },
        calibration: { dataset: 'fashion-mnist', split: 'calibration', samples: 500 },
        notes: [],
      },
    }
    bridge.emit('job:finished', { jobId: 7, kind: 'derive', ok: true, value: { model: { ...variant, kind: 'pruned' }, report: pruned } })
    await flushPromises()
    expect(text('[data-testid="recovery"]')).toContain('least squares: 9 layers refitted on 500 samples of fashion-mnist calibration')
    expect($('[data-testid="sensitivity-chart"] canvas')).not.toBeNull()
    const rows = [...document.body.querySelectorAll('[data-testid="sensitivity-table"] tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent?.trim()).join(' | '))
    expect(rows).toEqual(['stem + stack1/conv2 | 16 | 25 %', 'stack3/conv1 | 64 | 75 %'])
    expect(text('[data-testid="derive-report"]')).toContain('to 50 % of the parent\'s MACs')
  })

  it("takes the model's stored dataset (set at import, no card) for INT8", async () => {
    wrapper = mount(DeriveVariantDialog, {
      props: {
        model: {
          ...parent,
          card: null,
          preprocessing: {
            settings: {},
            source: 'default',
            inheritedFrom: null,
            spec: null,
            summary: '',
            problem: null,
            labels: null,
            dataset: 'fashion-mnist',
          },
        },
        visible: true,
      },
      global: { plugins: [pinia, PrimeVue] },
      attachTo: document.body,
    })
    await flushPromises()
    await click('#method-int8-dynamic')
    expect(($('[data-testid="derive-start"]') as HTMLButtonElement | null)?.disabled).toBe(false)
  })
})
