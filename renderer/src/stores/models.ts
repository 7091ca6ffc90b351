import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ModelInfo } from '../../../common/api.js'
import type { PreprocessingRequest } from '../../../common/preprocessing.js'
import type { ErrorInfo } from '../../../common/errors.js'
import type { InspectResult } from '../../../common/types.js'
import { importModelFile, request, toErrorInfo } from '../api/index.js'

/** A model with its variants beneath it (UI: variants as a tree under their parent). */
export interface ModelNode {
  model: ModelInfo
  children: ModelNode[]
}

const stem = (name: string): string => name.replace(/\.(onnx|json)$/i, '').toLowerCase()

/** The `<name>.json` picked with `<name>.onnx` (its model card), if any. */
export function cardFor(model: File, files: readonly File[]): File | undefined {
  return files.find((f) => f !== model && f.name.toLowerCase().endsWith('.json') && stem(f.name) === stem(model.name))
}

/** Which picked files are models and which are the cards beside them. */
export function pairImportFiles(files: readonly File[]): { models: File[]; cards: Set<File> } {
  const models = files.filter((f) => f.name.toLowerCase().endsWith('.onnx'))
  const cards = new Set(models.map((m) => cardFor(m, files)).filter((c): c is File => c !== undefined))
  return { models, cards }
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

  /**
   * Imports dropped or picked files, each `<name>.json` as the card of `<name>.onnx` beside it and
   * `preprocessing` (the import dialog's) with every model; each failure is kept with its file name.
   */
  async function importFiles(files: readonly File[], preprocessing?: PreprocessingRequest): Promise<ModelInfo[]> {
    importing.value = true
    importErrors.value = []
    const added: ModelInfo[] = []
    const { cards } = pairImportFiles(files)
    try {
      for (const f of files) {
        if (cards.has(f)) continue
        try {
          if (!f.name.toLowerCase().endsWith('.onnx')) {
            throw new Error(`${f.name} is not an .onnx file. Export the model to ONNX first.`)
          }
          const card = cardFor(f, files)
          const m = await importModelFile(f, {
            ...(card ? { cardJson: await card.text() } : {}),
            ...(preprocessing && Object.keys(preprocessing).length > 0 ? { preprocessing } : {}),
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

  /** Stores a model's preprocessing, labels or dataset; throws ApiError (BAD_INPUT names the mismatch). */
  async function setPreprocessing(modelId: number, req: PreprocessingRequest): Promise<ModelInfo> {
    const m = await request('models:setPreprocessing', { modelId, request: req })
    upsert(m)
    // Variants inherit: their picture changes too.
    if (models.value.some((x) => x.parentId === modelId)) await load()
    return m
  }

  return {
    models,
    loaded,
    setPreprocessing,
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
