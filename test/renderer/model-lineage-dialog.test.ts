// @vitest-environment happy-dom
/** The Models view's "Variant of…" dialog against a fake bridge: what it offers, sends and shows. */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import PrimeVue from 'primevue/config'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ModelInfo } from '../../common/api.js'
import { setBridge } from '../../renderer/src/api/index.js'
import ModelLineageDialog from '../../renderer/src/components/ModelLineageDialog.vue'
import { useModelsStore } from '../../renderer/src/stores/models.js'
import { fakeBridge, type FakeBridge } from './fake-bridge.js'

const base: ModelInfo = { id: 1, name: 'resnet8', path: '/zoo/resnet8.onnx', sha256: 'a', family: 'resnet', kind: 'fp32', parentId: null, recipe: null, card: null, createdAt: '', params: 1, macs: 1, fileBytes: 1 }
const list: ModelInfo[] = [
  base,
  { ...base, id: 2, name: 'resnet8-int8', kind: 'int8', parentId: 1, sha256: 'b' },
  { ...base, id: 3, name: 'my-finetuned', sha256: 'c' },
  { ...base, id: 4, name: 'my-finetuned-int8', kind: 'int8', parentId: 3, sha256: 'd' },
]

let bridge: FakeBridge
let wrapper: VueWrapper | null = null
const $ = (sel: string): HTMLElement | null => document.body.querySelector<HTMLElement>(sel)

beforeEach(async () => {
  setActivePinia(createPinia())
  bridge = fakeBridge({
    'models:list': () => list,
    'models:setLineage': (p) => {
      const { modelId, parentId, recipe } = p as { modelId: number; parentId: number; recipe: string }
      if (parentId === 2) throw Object.assign(new Error('my-finetuned is not a variant of resnet8-int8: its outputs differ'), { code: 'BAD_INPUT' })
      return { ...list[2], id: modelId, parentId, kind: 'external', recipe: { method: 'external', params: { text: recipe } } }
    },
  })
  setBridge(bridge)
  await useModelsStore().load()
})

afterEach(() => {
  wrapper?.unmount()
  wrapper = null
  setBridge(null)
  document.body.innerHTML = ''
})

function mountFor(model: ModelInfo): void {
  wrapper = mount(ModelLineageDialog, { props: { model, visible: true }, global: { plugins: [PrimeVue] }, attachTo: document.body })
}

describe('ModelLineageDialog', () => {
  it('offers every model but this one and its own variants, sends the lineage and updates the list', async () => {
    mountFor(list[2] as ModelInfo)
    await flushPromises()
    const vm = wrapper?.findComponent({ name: 'Select' })
    const options = (vm?.props('options') as { id: number }[]).map((o) => o.id)
    expect(options).toEqual([1, 2])
    expect(($('[data-testid="lineage-save"]') as HTMLButtonElement).disabled).toBe(true)
    await vm?.vm.$emit('update:modelValue', 1)
    const text = $('#lineage-recipe') as HTMLTextAreaElement
    text.value = 'pruned 50 %, fine-tuned 3 epochs'
    text.dispatchEvent(new Event('input'))
    await flushPromises()
    $('[data-testid="lineage-save"]')?.click()
    await flushPromises()
    expect(bridge.calls.find((c) => c.channel === 'models:setLineage')?.payload).toEqual({ modelId: 3, parentId: 1, recipe: 'pruned 50 %, fine-tuned 3 epochs' })
    expect(useModelsStore().byId.get(3)?.parentId).toBe(1)
    expect(wrapper?.emitted('update:visible')?.at(-1)).toEqual([false])
  })

  it('shows a refusal with its code and keeps the form', async () => {
    mountFor(list[2] as ModelInfo)
    await flushPromises()
    await wrapper?.findComponent({ name: 'Select' }).vm.$emit('update:modelValue', 2)
    const text = $('#lineage-recipe') as HTMLTextAreaElement
    text.value = 'quantized elsewhere'
    text.dispatchEvent(new Event('input'))
    await flushPromises()
    $('[data-testid="lineage-save"]')?.click()
    await flushPromises()
    expect($('[data-testid="error-notice"]')?.textContent).toContain('BAD_INPUT')
    expect($('[data-testid="lineage-form"]')).not.toBeNull()
  })
})
