/**
 * The recipes of compressed variants: what was done and with which parameters. A recipe is stored
 * with every variant (models.recipe) and validated here, once, for the CLI, the API and sweeps.
 * The zod-free constants, labels and report shapes the UI needs live in common/compress.ts, so the
 * renderer can use them without bundling zod.
 */
import { z } from 'zod'
import { CALIBRATORS, CRITERIA, RECIPE_DEFAULTS, RECOVER_METHODS } from './compress.js'
import { StudioError } from './errors.js'

const fraction = (what: string) =>
  z.number().refine((v) => v > 0 && v < 1, { message: `${what} must be between 0 and 1 (exclusive), e.g. 0.5` })

const exclude = z.array(z.string().min(1).max(500)).max(10_000).default([])

export const recipeSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('fp16') }),
  z.strictObject({
    method: z.literal('int8-dynamic'),
    perChannel: z.boolean().default(RECIPE_DEFAULTS.perChannel),
    exclude,
    /** Samples for the agreement with FP32 (dataset name or folder); default: the model's dataset. */
    calibration: z.string().min(1).max(4096).optional(),
  }),
  z.strictObject({
    method: z.literal('int8-static'),
    calibrator: z.enum(CALIBRATORS).default(RECIPE_DEFAULTS.calibrator),
    perChannel: z.boolean().default(RECIPE_DEFAULTS.perChannel),
    activationType: z.enum(['uint8', 'int8']).default(RECIPE_DEFAULTS.activationType),
    exclude,
    /** Dataset name or folder; default: the model's dataset (its calibration or train split, never test). */
    calibration: z.string().min(1).max(4096).optional(),
    samples: z.number().int().positive().max(100_000).default(RECIPE_DEFAULTS.samples),
  }),
  z
    .strictObject({
      method: z.literal('prune-structured'),
      /** Fraction of every prunable group's channels to remove… */
      ratio: fraction('The structured pruning ratio').optional(),
      /** …or the fraction of the parent's MACs to keep, ratios per group from a sensitivity scan. */
      targetMacs: fraction('The MACs target').optional(),
      criterion: z.enum(CRITERIA).default(RECIPE_DEFAULTS.criterion),
      /** Refit after removing channels; default 'ls' when there is calibration data, else 'none'. */
      recover: z.enum(RECOVER_METHODS).optional(),
      /** Dataset name or folder (its calibration or train split); default: the model's dataset. */
      calibration: z.string().min(1).max(4096).optional(),
      /** Calibration samples for recovery and the activation criterion (the scan reads 128 of them). */
      samples: z.number().int().positive().max(100_000).optional(),
    })
    .refine((r) => (r.ratio === undefined) !== (r.targetMacs === undefined), {
      message: 'Give exactly one of a pruning ratio (--structured) or a MACs target (--target-macs)',
    }),
  z.strictObject({
    method: z.literal('prune-unstructured'),
    sparsity: fraction('The sparsity'),
    scope: z.enum(['global', 'per-layer']).default(RECIPE_DEFAULTS.scope),
  }),
])

/** A recipe with every default filled in (what is stored and applied). */
export type Recipe = z.output<typeof recipeSchema>
/** A recipe as a caller may write it: parameters with defaults may be left out. */
export type RecipeInput = z.input<typeof recipeSchema>
export type RecipeMethod = Recipe['method']

export function parseRecipe(value: unknown): Recipe {
  const r = recipeSchema.safeParse(value)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new StudioError('BAD_INPUT', `Bad compression settings: ${issue?.message ?? 'invalid'}${issue?.path.length ? ` (${issue.path.join('.')})` : ''}.`)
  }
  return r.data
}
