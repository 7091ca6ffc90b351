/**
 * A serial board's record config (devices.config): line settings, the firmware's model and what
 * it links to in the studio, and measurement settings. Never secrets.
 */
import { z } from 'zod'
import { StudioError } from '../../common/errors.js'

export const serialConfigSchema = z.looseObject({
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(115200),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
  /** The studio model (id) the firmware's model corresponds to: size, MACs, card, preprocessing. */
  studioModelId: z.number().int().positive().optional(),
  /** The firmware's own model id (`m-model-[…]`: ic01, kws01, vww01, ad01, …), learnt by probing. */
  boardModel: z.string().min(1).optional(),
  /** Dataset for accuracy runs (e.g. 'fashion-mnist'). */
  dataset: z.string().min(1).optional(),
  /** Byte format of one input: uint8, HWC, this size (when no studio model says it). */
  input: z
    .object({
      height: z.number().int().positive(),
      width: z.number().int().positive(),
      channels: z.union([z.literal(1), z.literal(3)]),
    })
    .optional(),
  /** Bytes per input for performance mode of non-image models (kws01: 490). */
  inputBytes: z.number().int().positive().optional(),
  /** Performance-mode window length; MLPerf Tiny asks ≥ 10 s. Shorter only for quick looks. */
  windowSeconds: z.number().positive().max(25).default(10),
  commandTimeoutMs: z.number().int().positive().default(2000),
  /** The longest a cold first inference may take before the board counts as silent (the MLPerf Tiny host's 30 s line timeout). */
  lineTimeoutMs: z.number().int().positive().max(300_000).default(30_000),
  bannerMs: z.number().int().positive().default(2500),
})

export type SerialConfig = z.output<typeof serialConfigSchema>
export type SerialConfigInput = z.input<typeof serialConfigSchema>

export function parseSerialConfig(value: unknown, deviceName: string): SerialConfig {
  const r = serialConfigSchema.safeParse(value)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new StudioError(
      'BAD_INPUT',
      `Serial device '${deviceName}' has a bad setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}. ` +
        "Re-add it with 'edgebench device add serial'.",
    )
  }
  return r.data
}

/** Input buffer sizes of the MLPerf Tiny reference models (docs/protocols.md). */
export const REFERENCE_INPUTS: Record<
  string,
  { bytes: number; image?: { height: number; width: number; channels: 1 | 3 } }
> = {
  ic01: { bytes: 3072, image: { height: 32, width: 32, channels: 3 } },
  vww01: { bytes: 27648, image: { height: 96, width: 96, channels: 3 } },
  kws01: { bytes: 490 },
  ad01: { bytes: 2560 },
}
