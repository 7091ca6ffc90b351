import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ModelInfo } from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import type { InspectResult } from '../../../common/types.js'
import { fileToBase64, request, toErrorInfo } from '../api/index.js'

/** A model with its variants beneath it (UI: variants as a tree under their parent). */
export interface ModelNode {
  model: ModelInfo
  children: ModelNode[]
}

/** Builds the parent → variants tree; a variant whose parent is unknown becomes a root. */
export function buildModelTree(models: readonly ModelInfo[]): ModelNode[] {
  const nodes = new Map<number, ModelNode>()
  for (const m of models) nodes.set(m.id, { model: m, children: [] })
  const roots: ModelNode[] = []
  for (const m of models) {
    const node = nodes.get(m.id)
    if (!node) continue
    const parent = m.parentId === null ? undefined : nodes.get(m.parentId)
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  return roots
}

export const useModelsStore = defineStore('models', () => {
  const models = ref<ModelInfo[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const error = ref<ErrorInfo | null>(null)
  const importing = ref(false)
  const importErrors = ref<{ fileName: string; error: ErrorInfo }[]>([])
  /** Inspections are large (hundreds of layers): kept out of deep reactivity. */
  const inspections = shallowRef(new Map<number, InspectResult>())
  const inspectErrors = ref(new Map<number, ErrorInfo>())

  const tree = computed(() => buildModelTree(models.value))
  const byId = computed(() => new Map(models.value.map((m) => [m.id, m])))

  async function load(): Promise<void> {
    loading.value = true
    try {
      models.value = await request('models:list')
      error.value = null
      loaded.value = true
    } catch (e) {
      error.value = toErrorInfo(e)
    } finally {
      loading.value = false
    }
  }

  function upsert(m: ModelInfo): void {
    const i = models.value.findIndex((x) => x.id === m.id)
    if (i >= 0) models.value.splice(i, 1, m)
    else models.value.push(m)
  }

  /** Imports dropped or picked files; each failure is kept with its file name. */
  async function importFiles(files: readonly File[]): Promise<ModelInfo[]> {
    importing.value = true
    importErrors.value = []
    const added: ModelInfo[] = []
    try {
      for (const f of files) {
        try {
          if (!f.name.toLowerCase().endsWith('.onnx')) {
            throw new Error(`${f.name} is not an .onnx file. Export the model to ONNX first.`)
          }
          const m = await request('models:importBytes', {
            fileName: f.name,
            dataBase64: await fileToBase64(f),
          })
          upsert(m)
          added.push(m)
        } catch (e) {
          const info = toErrorInfo(e)
          importErrors.value.push({
            fileName: f.name,
            error:
              e instanceof Error && !('code' in e) ? { code: 'MODEL_INVALID', message: info.message } : info,
          })
        }
      }
    } finally {
      importing.value = false
    }
    return added
  }

  /** Desktop only: the native Open dialog. */
  async function importWithDialog(): Promise<void> {
    importing.value = true
    try {
      for (const m of await request('models:openDialog')) upsert(m)
    } catch (e) {
      importErrors.value = [{ fileName: '', error: toErrorInfo(e) }]
    } finally {
      importing.value = false
    }
  }

  /** Records a model as a variant made elsewhere; throws ApiError when the engine refuses. */
  async function setLineage(modelId: number, parentId: number, recipe: string): Promise<ModelInfo> {
    const m = await request('models:setLineage', { modelId, parentId, recipe })
    upsert(m)
    return m
  }

  async function inspect(modelId: number): Promise<InspectResult | null> {
    const cached = inspections.value.get(modelId)
    if (cached) return cached
    try {
      const r = await request('models:inspect', { modelId })
      const next = new Map(inspections.value)
      next.set(modelId, r)
      inspections.value = next
      inspectErrors.value.delete(modelId)
      return r
    } catch (e) {
      inspectErrors.value.set(modelId, toErrorInfo(e))
      return null
    }
  }

  return {
    models,
    loaded,
    loading,
    error,
    importing,
    importErrors,
    inspections,
    inspectErrors,
    tree,
    byId,
    load,
    importFiles,
    importWithDialog,
    setLineage,
    inspect,
  }
})
