/**
 * The recipes of compressed variants: what was done and with which parameters. A recipe is stored
 * with every variant (models.recipe) and validated here, once, for the CLI, the API and sweeps.
 */
import { z } from 'zod'
import { StudioError } from '../../common/errors.js'
import { CALIBRATORS } from './calibrate.js'

const fraction = (what: string) =>
  z.number().refine((v) => v > 0 && v < 1, { message: `${what} must be between 0 and 1 (exclusive), e.g. 0.5` })

export const recipeSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('fp16') }),
  z.object({
    method: z.literal('int8-dynamic'),
    perChannel: z.boolean().default(true),
    exclude: z.array(z.string()).default([]),
  }),
  z.object({
    method: z.literal('int8-static'),
    calibrator: z.enum(CALIBRATORS as [string, ...string[]]).default('minmax'),
    perChannel: z.boolean().default(true),
    activationType: z.enum(['uint8', 'int8']).default('uint8'),
    exclude: z.array(z.string()).default([]),
    /** Dataset name or folder; default: the model card's dataset, calibration split. */
    calibration: z.string().optional(),
    samples: z.number().int().positive().max(100_000).default(500),
  }),
  z.object({
    method: z.literal('prune-structured'),
    ratio: fraction('The structured pruning ratio'),
    criterion: z.enum(['l1', 'bn-scale', 'bn-activation']).default('l1'),
  }),
  z.object({
    method: z.literal('prune-unstructured'),
    sparsity: fraction('The sparsity'),
    scope: z.enum(['global', 'per-layer']).default('global'),
  }),
])

export type Recipe = z.output<typeof recipeSchema>
export type RecipeInput = z.input<typeof recipeSchema>

export function parseRecipe(value: unknown): Recipe {
  const r = recipeSchema.safeParse(value)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new StudioError('BAD_INPUT', `Bad compression settings: ${issue?.message ?? 'invalid'}${issue?.path.length ? ` (${issue.path.join('.')})` : ''}.`)
  }
  return r.data
}

/** A short, file-name-safe label: "int8-static-minmax", "prune-structured-50". */
export function recipeLabel(r: Recipe): string {
  switch (r.method) {
    case 'fp16':
      return 'fp16'
    case 'int8-dynamic':
      return `int8-dynamic${r.perChannel ? '' : '-pt'}`
    case 'int8-static':
      return `int8-${r.calibrator}${r.perChannel ? '' : '-pt'}${r.activationType === 'int8' ? '-s8' : ''}`
    case 'prune-structured':
      return `pruned-s${Math.round(r.ratio * 100)}${r.criterion === 'l1' ? '' : `-${r.criterion}`}`
    case 'prune-unstructured':
      return `pruned-u${Math.round(r.sparsity * 100)}${r.scope === 'global' ? '' : '-layer'}`
  }
}

/** The models.kind of a variant made by the recipe. */
export function recipeKind(r: Recipe): string {
  if (r.method === 'fp16') return 'fp16'
  if (r.method.startsWith('int8')) return 'int8'
  return 'pruned'
}
