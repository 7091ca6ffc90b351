import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { EarlyExitPlanInfo, ModelInfo } from '../../../common/api.js'
import type { EarlyExitResult } from '../../../common/early-exit.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { onEvent, request, toErrorInfo } from '../api/index.js'
import { useExploreStore } from './explore.js'
import { useModelsStore } from './models.js'

/**
 * Early exit per model: whether it has exits (the plan, asked once per model), its stored sweeps
 * (newest first), and operating points sent to Explore. New sweeps arrive by 'job:finished'.
 */
export const useEarlyExitStore = defineStore('earlyExit', () => {
  const plans = ref(new Map<number, EarlyExitPlanInfo | null>())
  const sweeps = ref(new Map<number, EarlyExitResult[]>())
  const errors = ref(new Map<number, ErrorInfo>())

  async function load(modelId: number): Promise<void> {
    try {
      if (!plans.value.has(modelId)) plans.value.set(modelId, await request('earlyExit:plan', { modelId }))
      if (plans.value.get(modelId)) sweeps.value.set(modelId, await request('earlyExit:list', { modelId }))
      errors.value.delete(modelId)
    } catch (e) {
      errors.value.set(modelId, toErrorInfo(e))
    }
  }

  /** Stores the chosen thresholds as variants; the model list and Explore then show them. */
  async function addToExplore(sweepId: number, thresholds: number[]): Promise<ModelInfo[]> {
    const added = await request('earlyExit:addToExplore', { sweepId, thresholds })
    await Promise.all([useModelsStore().load(), useExploreStore().load()])
    return added
  }

  function subscribe(): () => void {
    return onEvent('job:finished', (j) => {
      if (j.kind !== 'early-exit' || !j.ok) return
      const list = sweeps.value.get(j.value.modelId) ?? []
      sweeps.value.set(j.value.modelId, [j.value, ...list.filter((s) => s.id !== j.value.id)])
    })
  }

  return { plans, sweeps, errors, load, addToExplore, subscribe }
})
