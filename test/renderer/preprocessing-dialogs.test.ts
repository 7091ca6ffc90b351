// @vitest-environment happy-dom
/**
 * The import dialog and the Models view's preprocessing editor against a fake bridge: what they
 * send (preset, values, card, labels), the engine's refusal shown as one line with nothing stored,
 * and Auto-detect's ranked guesses applied as a labelled guess.
 */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import PrimeVue from 'primevue/config'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ModelInfo } from '../../common/api.js'
import type { DetectionResult } from '../../common/detect.js'
import type { PreprocessingRequest } from '../../common/preprocessing.js'
import type { PreprocessSpec } from '../../common/types.js'
import { setBridge } from '../../renderer/src/api/index.js'
import ModelImportDialog from '../../renderer/src/components/ModelImportDialog.vue'
import ModelPreprocessingDialog from '../../renderer/src/components/ModelPreprocessingDialog.vue'
import PreprocessingFields from '../../renderer/src/components/PreprocessingFields.vue'
import type { PreprocessDraft } from '../../renderer/src/preprocess-draft.js'
import { useCompressStore } from '../../renderer/src/stores/compress.js'
import { useModelsStore } from '../../renderer/src/stores/models.js'
import { fakeBridge, type FakeBridge } from './fake-bridge.js'

const spec: PreprocessSpec = { layout: 'NCHW', channels: 1, height: 28, width: 28, scale: 1 / 255, mean: [0], std: [1], source: 'default' }
const model: ModelInfo = {
  id: 3,
  name: 'mine',
  path: '/data/mine.onnx',
  sha256: 'c',
  family: null,
  kind: 'fp32',
  parentId: null,
  recipe: null,
  card: null,
  createdAt: '',
  params: 1000,
  macs: 2000,
  fileBytes: 4000,
  inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 1, 28, 28] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: ['N', 10] }],
  preprocessing: {
    settings: {},
    source: 'default',
    inheritedFrom: null,
    spec,
    summary: '[0, 1] (scale 1/255, mean 0, std 1) · NCHW gray 28×28 · bilinear stretch · float32',
    problem: null,
    labels: null,
    dataset: 'fashion-mnist',
  },
}

let bridge: FakeBridge
let pinia: Pinia
let wrapper: VueWrapper | null = null
let refuse: string | null = null

const $ = (sel: string): HTMLElement | null => document.body.querySelector<HTMLElement>(sel)
const text = (sel: string): string => $(sel)?.textContent?.replace(/\s+/g, ' ').trim() ?? ''
async function click(sel: string): Promise<void> {
  const el = $(sel)
  if (!el) throw new Error(`nothing matches ${sel}`)
  el.click()
  await flushPromises()
}
/** What the form's fields would emit as the user edits them. */
async function edit(w: VueWrapper, change: Partial<PreprocessDraft>): Promise<void> {
  const fields = w.findComponent(PreprocessingFields)
  fields.vm.$emit('update:modelValue', { ...(fields.props('modelValue') as PreprocessDraft), ...change })
  await flushPromises()
}
const refusal = (message: string): never => {
  throw Object.assign(new Error(message), { code: 'BAD_INPUT' })
}

beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  refuse = null
  bridge = fakeBridge({
    'datasets:list': () => [],
    'models:list': () => [model],
    'models:importBytes': () => (refuse ? refusal(refuse) : model),
    'models:setPreprocessing': (p) => (refuse ? refusal(refuse) : { ...model, preprocessing: { ...model.preprocessing, source: 'user' }, ...(p as object) }),
    'models:detectPreprocessing': () => ({ jobId: 11 }),
  })
  setBridge(bridge)
})

afterEach(() => {
  wrapper?.unmount()
  wrapper = null
  setBridge(null)
  document.body.innerHTML = ''
})

describe('ModelImportDialog', () => {
  const files = (): File[] => [new File(['ONNX'], 'mine.onnx'), new File(['{"preprocessing": {"mean": [0.5]}}'], 'mine.json'), new File(['x'], 'notes.txt')]

  it('sends each model with its card and the chosen preset, then closes', async () => {
    wrapper = mount(ModelImportDialog, { props: { files: files(), visible: true }, global: { plugins: [pinia, PrimeVue] }, attachTo: document.body })
    await flushPromises()
    expect(text('[data-testid="import-dialog"]')).toContain('card: mine.json')
    expect(text('[data-testid="import-dialog"]')).toContain('notes.txt: not an .onnx model, skipped')
    for (const id of ['import-preset', 'import-layout', 'import-order', 'import-resize', 'import-labels', 'import-dataset']) {
      expect(document.body.querySelector(`label[for="${id}"]`), id).not.toBeNull()
    }
    await edit(wrapper, { preset: 'symmetric', layout: 'NCHW' })
    await click('[data-testid="import-confirm"]')
    const calls = bridge.calls.filter((c) => c.channel === 'models:importBytes')
    expect(calls).toHaveLength(1)
    expect(calls[0]?.payload).toMatchObject({
      fileName: 'mine.onnx',
      cardJson: '{"preprocessing": {"mean": [0.5]}}',
      preprocessing: { preset: 'symmetric', settings: { layout: 'NCHW' } },
    })
    expect(wrapper.emitted('update:visible')?.at(-1)).toEqual([false])
    expect(useModelsStore().models.map((m) => m.id)).toEqual([3])
  })

  it("shows the engine's refusal as one line and stays open; nothing is added", async () => {
    refuse = "mean has 3 values but input 'input' [N, 1, 28, 28] takes 1 channel: give 1 value."
    wrapper = mount(ModelImportDialog, { props: { files: files(), visible: true }, global: { plugins: [pinia, PrimeVue] }, attachTo: document.body })
    await flushPromises()
    await edit(wrapper, { preset: 'custom', mean: '0.485, 0.456, 0.406', std: '0.229, 0.224, 0.225' })
    await click('[data-testid="import-confirm"]')
    expect(text('[data-testid="error-notice"]')).toContain('mine.onnx: mean has 3 values')
    expect(wrapper.emitted('update:visible')).toBeUndefined()
    expect(useModelsStore().models).toEqual([])
  })

  it('catches values that are not numbers before sending anything', async () => {
    wrapper = mount(ModelImportDialog, { props: { files: files(), visible: true }, global: { plugins: [pinia, PrimeVue] }, attachTo: document.body })
    await flushPromises()
    await edit(wrapper, { preset: 'custom', mean: 'half' })
    await click('[data-testid="import-confirm"]')
    expect(text('[data-testid="import-form-error"]')).toContain('Mean must be 1 to 3 numbers')
    expect(bridge.calls.some((c) => c.channel === 'models:importBytes')).toBe(false)
  })
})

describe('ModelPreprocessingDialog', () => {
  function mountEditor(): VueWrapper {
    useCompressStore().subscribe()
    return mount(ModelPreprocessingDialog, { props: { model, visible: true }, global: { plugins: [pinia, PrimeVue] }, attachTo: document.body })
  }

  it('saves exactly what the form shows (replace), and shows a refusal as one line', async () => {
    wrapper = mountEditor()
    await flushPromises()
    expect(text('[data-testid="pp-current"]')).toContain('default: nobody set it')
    await edit(wrapper, { preset: 'imagenet' })
    refuse = "Layout NHWC does not fit input 'input' [N, 1, 28, 28]: its channel dimension (last) is 28, not 1 or 3."
    await click('[data-testid="pp-save"]')
    expect(text('[data-testid="error-notice"]')).toContain('Layout NHWC does not fit')
    refuse = null
    await click('[data-testid="pp-save"]')
    const sent = bridge.calls.filter((c) => c.channel === 'models:setPreprocessing').at(-1)?.payload as { modelId: number; request: PreprocessingRequest }
    expect(sent).toEqual({ modelId: 3, request: { preset: 'imagenet', replace: true, dataset: 'fashion-mnist' } })
    expect(wrapper.emitted('update:visible')?.at(-1)).toEqual([false])
  })

  it('Auto-detect shows ranked guesses; using one stores it labelled as a guess', async () => {
    wrapper = mountEditor()
    await flushPromises()
    await click('[data-testid="detect-start"]')
    expect(bridge.calls.find((c) => c.channel === 'models:detectPreprocessing')?.payload).toEqual({ modelId: 3, dataset: 'fashion-mnist' })
    const best = { ...spec, mean: [0.29], std: [0.355], source: 'detected' as const }
    const result: DetectionResult = {
      guess: true,
      model: 'mine',
      dataset: 'fashion-mnist',
      split: 'test',
      samples: 200,
      best: { label: 'fashion-mnist mean/std · NCHW', preset: null, settings: { scale: 1 / 255, mean: [0.29], std: [0.355], layout: 'NCHW' }, spec: best, top1: 0.925 },
      candidates: [],
    }
    result.candidates = [result.best, { label: '[0, 1] · NCHW', preset: 'unit', settings: {}, spec, top1: 0.165 }]
    bridge.emit('job:finished', { jobId: 11, kind: 'detect', ok: true, value: result })
    await flushPromises()
    const table = text('[data-testid="detect-result"]')
    expect(table).toContain('Guesses on 200 samples')
    expect(table).toContain('best guess')
    expect(table).toMatch(/fashion-mnist mean\/std · NCHW.*92\.5 %.*\[0, 1\] · NCHW.*16\.5 %/)
    await click('button[aria-label="Use fashion-mnist mean/std · NCHW"]')
    await click('[data-testid="pp-save"]')
    const sent = bridge.calls.filter((c) => c.channel === 'models:setPreprocessing').at(-1)?.payload as { request: PreprocessingRequest }
    expect(sent.request).toMatchObject({ source: 'detected', settings: { scale: 1 / 255, mean: [0.29], std: [0.355], layout: 'NCHW' } })
  })
})
