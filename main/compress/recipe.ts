/**
 * The recipes of compressed variants. The schema and labels are defined once in common/ (the API
 * validates recipes too); this module re-exports them for the engine and adds the store's kind.
 */
import type { Recipe } from '../../common/recipe.js'

export { parseRecipe, recipeSchema, type Recipe, type RecipeInput, type RecipeMethod } from '../../common/recipe.js'
export { recipeLabel } from '../../common/compress.js'

/** The models.kind of a variant made by the recipe. */
export function recipeKind(r: Recipe): string {
  if (r.method === 'fp16') return 'fp16'
  if (r.method.startsWith('int8')) return 'int8'
  return 'pruned'
}

/**
 * Recipes that read samples: INT8 (calibration, the explanation's agreement with FP32), and
 * structured pruning that recovers (the default, when there is data), ranks channels by activation
 * or allocates a MACs target from a sensitivity scan. The studio resolves their calibration feed.
 */
export function readsSamples(r: Recipe): boolean {
  if (r.method === 'int8-static' || r.method === 'int8-dynamic') return true
  if (r.method !== 'prune-structured') return false
  return r.recover !== 'none' || r.criterion === 'activation' || r.targetMacs !== undefined
}
