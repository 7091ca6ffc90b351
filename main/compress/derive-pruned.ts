/**
 * The structured-pruning step of a derivation: the calibration samples it reads when it recovers,
 * ranks channels by activation or allocates a MACs target (the recipe's data, else the model's
 * dataset, fed with its stored preprocessing: derive-samples.ts), then prune-derive.ts.
 */
import type { Recipe } from './recipe.js'
import type { DeriveStep, Parent } from './derive-parent.js'
import { floatInput, sampleBatches, sampleSource } from './derive-samples.js'
import type { ModelProto } from '../model/proto.js'
import type { PruneReport } from './prune-common.js'
import { pruneWithData, type CalibrationSource } from './prune-derive.js'
import { readsSamples } from './recipe.js'

type StructuredRecipe = Extract<Recipe, { method: 'prune-structured' }>

/**
 * Calibration data, when the recipe reads some and there is some. Asked for explicitly (data
 * named, recovery, activation criterion, MACs target), it must be usable; the default recovery
 * only uses data the model already has.
 */
async function calibrationSource(parent: Parent, recipe: StructuredRecipe, step: DeriveStep): Promise<CalibrationSource | null> {
  if (!readsSamples(recipe)) return null
  const explicit = recipe.calibration !== undefined || recipe.recover !== undefined || recipe.criterion === 'activation' || recipe.targetMacs !== undefined
  if (explicit) floatInput(parent, 'calibrated')
  else if (parent.info.inputs[0]?.dtype !== 'float32') return null
  // No data named anywhere: pruneWithData says what needed it (or prunes without, by default).
  if (recipe.calibration === undefined && !step.feed?.dataset) return null
  const src = await sampleSource(parent, recipe.calibration, step.feed, 'calibrated')
  return {
    dataset: src.data.name,
    split: src.data.split,
    count: src.data.count,
    batches: (limit) => sampleBatches(src, limit, step.signal),
  }
}

/** The structurally pruned parent (uniform ratio or MACs target), recovered when there is data. */
export async function derivePruned(
  parent: Parent,
  recipe: StructuredRecipe,
  step: DeriveStep,
): Promise<{ model: ModelProto; report: PruneReport }> {
  const calibration = await calibrationSource(parent, recipe, step)
  return pruneWithData(parent.model, {
    ...(recipe.ratio !== undefined ? { ratio: recipe.ratio } : {}),
    ...(recipe.targetMacs !== undefined ? { targetMacs: recipe.targetMacs } : {}),
    criterion: recipe.criterion,
    ...(recipe.recover ? { recover: recipe.recover } : {}),
    calibration,
    ...(recipe.samples ? { samples: recipe.samples } : {}),
    ...(step.signal ? { signal: step.signal } : {}),
    onProgress: (done, total, message) => step.report('calibrate', done, total, message),
  })
}
