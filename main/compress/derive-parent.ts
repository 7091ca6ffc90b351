/**
 * What every derivation starts from and checks against: the parent read and inspected once, the
 * progress reporter's shape, and the ONNX Runtime load check a variant must pass to be written.
 */
import * as ort from 'onnxruntime-node'
import { StudioError } from '../../common/errors.js'
import type { InspectResult, Progress } from '../../common/types.js'
import { inspectDecoded } from '../model/inspect.js'
import { encodeModel, loadModel } from '../model/onnx-io.js'
import type { ModelProto } from '../model/proto.js'
import type { CalibrationFeed } from './derive.js'
import { runtimeShapes } from '../model/runtime-shapes.js'

/** The parent as every step needs it: decoded, and inspected once. */
export interface Parent {
  path: string
  model: ModelProto
  info: InspectResult
}

export type Report = (phase: Progress['phase'], done: number, total: number, message: string) => void

/** What a recipe step gets besides the parent: the samples' feed, cancel, and progress. */
export interface DeriveStep {
  feed?: CalibrationFeed | null | undefined
  signal?: AbortSignal | undefined
  report: Report
}

/** Inspection inside this process: derive already runs where ORT may run (the engine worker). */
export const inspectHere = (model: ModelProto, bytes: Uint8Array): Promise<InspectResult> =>
  inspectDecoded(model, bytes, { runtimeShapes })

export async function readParent(path: string): Promise<Parent> {
  const model = await loadModel(path)
  return { path, model, info: await inspectHere(model, encodeModel(model)) }
}

/** Throws MODEL_INVALID (nothing written) when ONNX Runtime refuses the variant. */
export async function assertLoads(model: ModelProto, label: string): Promise<void> {
  try {
    const s = await ort.InferenceSession.create(encodeModel(model), {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      logSeverityLevel: 4,
    })
    await s.release()
  } catch (e) {
    throw new StudioError(
      'MODEL_INVALID',
      `The ${label} variant does not load in ONNX Runtime (${String(e).split('\n')[0]}), so it was not written. Exclude the failing node (--exclude) or report this model.`,
      { cause: e },
    )
  }
}

