/**
 * Model cards: the JSON beside each bundled model (resources/models/<name>.json) saying what the
 * model is, how it was trained, how to preprocess its input and what it scored.
 */
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { StudioError } from '../common/errors.js'
import { hashRegularFile, readRegularFile } from '../devices/regular-file.js'

const tensorSchema = z.object({
  name: z.string(),
  shape: z.array(z.union([z.number(), z.string()])),
  dtype: z.string(),
})

export const modelCardSchema = z
  .object({
    name: z.string(),
    file: z.string(),
    family: z.string(),
    paper: z.object({ title: z.string(), year: z.number() }),
    params: z.number().int().nonnegative(),
    macs: z.number().nonnegative(),
    top1: z.number().min(0).max(1),
    dataset: z.string(),
    split: z.string(),
    count: z.number().int().positive(),
    preprocessing: z.object({
      layout: z.enum(['NCHW', 'NHWC']),
      channels: z.union([z.literal(1), z.literal(3)]),
      height: z.number().int().positive(),
      width: z.number().int().positive(),
      scale: z.number(),
      mean: z.array(z.number()),
      std: z.array(z.number()),
    }),
    inputs: z.array(tensorSchema),
    outputs: z.array(tensorSchema),
    training: z.record(z.string(), z.unknown()),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    fileBytes: z.number().int().positive(),
  })
  .passthrough()

export type ModelCard = z.infer<typeof modelCardSchema>

/** SHA-256 of a model file, streamed (a regular file within the size limit, else one clear error). */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  return (await hashRegularFile(path, { what: 'ONNX model', code: 'MODEL_INVALID' }, signal)).sha256
}

export async function readCard(path: string): Promise<ModelCard> {
  let raw: unknown
  try {
    raw = JSON.parse((await readRegularFile(path, { what: 'Model card', code: 'BAD_INPUT', maxBytes: 16 * 1024 * 1024 })).toString('utf8'))
  } catch (e) {
    if (e instanceof StudioError) throw e
    throw new StudioError('BAD_INPUT', `Model card ${path} is not valid JSON: ${(e as Error).message}`, {
      cause: e,
    })
  }
  const parsed = modelCardSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new StudioError(
      'BAD_INPUT',
      `Model card ${path} is malformed at '${issue?.path.join('.')}': ${issue?.message}`,
    )
  }
  return parsed.data
}

/** The card of a model file: `<name>.json` beside it, used only when its SHA-256 matches the file. */
export async function findCard(modelPath: string, sha256: string): Promise<ModelCard | null> {
  const candidate = join(dirname(modelPath), `${basename(modelPath, '.onnx')}.json`)
  if (!existsSync(candidate)) return null
  try {
    const card = await readCard(candidate)
    return card.sha256 === sha256 ? card : null
  } catch {
    return null
  }
}

/** Every card in a folder (the bundled zoo), sorted by name. */
export async function listCards(dir: string): Promise<{ card: ModelCard; modelPath: string }[]> {
  if (!existsSync(dir)) return []
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()
  const out: { card: ModelCard; modelPath: string }[] = []
  for (const n of names) {
    const card = await readCard(join(dir, n))
    out.push({ card, modelPath: join(dir, card.file) })
  }
  return out
}
