/**
 * The early-exit channels of the API (common/api-early-exit.ts): the plan of a model's exits, the
 * measured sweep as a job, stored sweeps, and operating points added to Explore. What can be
 * checked before queuing (model, device, thresholds, exits) fails at once.
 */
import type { EarlyExitRequests, ModelInfo } from '../../common/api.js'
import { StudioError, toStudioError } from '../../common/errors.js'
import { planExits, type ExitPlan } from '../early-exit/graph.js'
import { sweepSettings } from '../early-exit/measure.js'
import { decodeModel, readModelFile } from '../model/onnx-io.js'
import type { ModelRow } from '../store/store.js'
import type { Studio } from '../studio.js'
import type { ChannelImpl } from './channel.js'
import type { JobRunner } from './jobs.js'

export type EarlyExitImpls = { [C in keyof EarlyExitRequests]: ChannelImpl<C> }

async function planOf(model: ModelRow, exits?: string[]): Promise<ExitPlan> {
  return planExits(decodeModel(await readModelFile(model.path), model.name), model.name, exits)
}

export function earlyExitImpls(
  studio: Studio,
  jobs: JobRunner,
  toInfo: (row: ModelRow) => Promise<ModelInfo>,
): EarlyExitImpls {
  const requireModel = (modelId: number): ModelRow => {
    const m = studio.store.getModel(modelId)
    if (!m) throw new StudioError('NOT_FOUND', `No model with id ${modelId}. Reload the model list.`)
    return m
  }
  return {
    'earlyExit:plan': async ({ modelId }) => {
      try {
        const p = await planOf(requireModel(modelId))
        return {
          final: p.final,
          exits: p.exits.map((name, k) => ({ name, macs: p.exitMacs[k] as number })),
          fullMacs: p.fullMacs,
          classes: p.classes,
        }
      } catch (e) {
        // A model without exits is not an error here: the panel simply does not show.
        if (toStudioError(e).code === 'BAD_INPUT') return null
        throw e
      }
    },
    'earlyExit:start': async (p) => {
      const model = requireModel(p.modelId)
      if (!studio.store.getDevice(p.device)) {
        throw new StudioError(
          'NOT_FOUND',
          `No device named '${p.device}'. Add it on the Devices page or pick another.`,
        )
      }
      sweepSettings(p)
      await planOf(model, p.exits)
      const { device, ...rest } = p
      const jobId = jobs.start('early-exit', (signal, onProgress) =>
        studio.earlyExit({ ...rest, deviceName: device }, { signal, onProgress }),
      )
      return { jobId }
    },
    'earlyExit:list': async ({ modelId }) => {
      requireModel(modelId)
      return studio.store.listEarlyExits(modelId)
    },
    'earlyExit:addToExplore': async ({ sweepId, thresholds }) => {
      const rows = await studio.addEarlyExitPoints(sweepId, thresholds)
      return Promise.all(rows.map(toInfo))
    },
  }
}
