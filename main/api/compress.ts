/**
 * The compression channels of the API: 'variants:derive' and 'sweeps:start' queue jobs on the
 * JobRunner and answer their ids; 'jobs:cancel' cancels one. What can be checked before queuing
 * (the model, the devices, the recipe) is checked here, so a bad request fails at once.
 */
import type { JobRequests, ModelInfo } from '../../common/api.js'
import { StudioError } from '../../common/errors.js'
import { parseRecipe } from '../../common/recipe.js'
import type { ModelRow } from '../store/store.js'
import type { Studio } from '../studio.js'
import { latencyFrom, sessionFrom } from '../bench/run-spec.js'
import type { ChannelImpl } from './channel.js'
import type { JobRunner } from './jobs.js'

export type JobImpls = { [C in keyof JobRequests]: ChannelImpl<C> }

export function compressImpls(
  studio: Studio,
  jobs: JobRunner,
  withFigures: (row: ModelRow) => Promise<ModelInfo>,
): JobImpls {
  const requireModel = (modelId: number): ModelRow => {
    const m = studio.store.getModel(modelId)
    if (!m) throw new StudioError('NOT_FOUND', `No model with id ${modelId}. Reload the model list.`)
    return m
  }

  return {
    'variants:derive': async ({ modelId, recipe }) => {
      requireModel(modelId)
      const parsed = parseRecipe(recipe)
      const jobId = jobs.start('derive', async (signal, onProgress) => {
        const { model, report } = await studio.deriveVariant(modelId, parsed, { signal, onProgress })
        return { model: await withFigures(model), report }
      })
      return { jobId }
    },
    'sweeps:start': async (p) => {
      requireModel(p.modelId)
      const unknown = p.devices.filter((d) => !studio.store.getDevice(d))
      if (unknown.length > 0) {
        throw new StudioError('NOT_FOUND', `No device named ${unknown.join(', ')}. Add it on the Devices page or pick another.`)
      }
      const recipes = p.recipes?.map(parseRecipe)
      const jobId = jobs.start('sweep', (signal, onProgress) =>
        studio.sweep(p.modelId, {
          devices: p.devices,
          session: sessionFrom(p.session),
          latency: latencyFrom(p.latency),
          ...(p.dataset !== undefined ? { dataset: p.dataset } : {}),
          ...(p.limit !== undefined ? { limit: p.limit } : {}),
          ...(recipes ? { recipes } : {}),
          signal,
          onProgress,
        }),
      )
      return { jobId }
    },
    'models:detectPreprocessing': async ({ modelId, dataset }) => {
      requireModel(modelId)
      const jobId = jobs.start('detect', (signal, onProgress) =>
        studio.detectPreprocessing(modelId, { signal, onProgress, ...(dataset !== undefined ? { dataset } : {}) }),
      )
      return { jobId }
    },
    'jobs:cancel': async ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
  }
}
