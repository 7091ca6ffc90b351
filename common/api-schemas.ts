/**
 * zod schemas for every request payload of the API contract (common/api.ts). Payloads from a UI
 * are untrusted: the IPC handlers and the HTTP server parse them here before the engine sees them.
 * Objects are strict so a typo in a field name is an error, not a silently ignored setting.
 */
import { z } from 'zod'
import { REPORT_FORMATS, type ApiChannel, type ApiPayload, type EarlyExitRequests, type JobRequests, type RecommendRequests } from './api.js'
import { StudioError } from './errors.js'
import { settingsShape } from './preprocess-spec.js'
import { recipeSchema } from './recipe.js'

const id = z.number().int().positive()
const name = z.string().min(1).max(200)
/** No payload: absent, null or `{}` (an HTTP body may carry any of the three). */
const none = z.union([z.undefined(), z.null(), z.strictObject({})]).transform(() => undefined)

const runStatus = z.enum(['queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted'])
const runKind = z.enum(['bench', 'eval'])
const reportFormat = z.enum(REPORT_FORMATS)

/** 256 MiB of bytes as base64 (4 characters per 3 bytes). */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024
const MAX_BASE64_CHARS = Math.ceil(MAX_IMPORT_BYTES / 3) * 4

const session = z.strictObject({
  threads: z.number().int().min(1).max(256).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
  executionProvider: z.string().min(1).max(64).optional(),
})

const latency = z.strictObject({
  warmupRuns: z.number().int().min(0).max(1_000_000).optional(),
  warmupMs: z.number().min(0).max(3_600_000).optional(),
  minRuns: z.number().int().min(1).max(10_000_000).optional(),
  minMs: z.number().min(0).max(3_600_000).optional(),
  maxMs: z.number().min(1).max(86_400_000).optional(),
  profile: z.boolean().optional(),
})

const startRun = z.strictObject({
  kind: runKind,
  modelId: id,
  deviceName: name,
  session: session.optional(),
  latency: latency.optional(),
  dataset: z.string().min(1).max(4096).optional(),
  split: z.string().min(1).max(64).optional(),
  limit: z.number().int().positive().optional(),
})

const runsList = z
  .strictObject({
    status: z.union([runStatus, z.array(runStatus).max(6)]).optional(),
    kind: runKind.optional(),
    modelId: id.optional(),
    deviceName: name.optional(),
    limit: z.number().int().positive().max(100_000).optional(),
  })
  .optional()
  .nullable()
  .transform((v) => v ?? undefined)

const runIds = z.array(id).min(1).max(1000)

const addSsh = z.strictObject({
  name: z.string().min(1).max(64),
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().min(1).max(64),
  auth: z.enum(['key', 'agent', 'password']),
  keyPath: z.string().min(1).max(4096).optional(),
  remoteDir: z.string().min(1).max(1024).optional(),
  password: z.string().max(1024).optional(),
  passphrase: z.string().max(1024).optional(),
  trustFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'not a SHA256 fingerprint').optional(),
})

// ---- preprocessing ---------------------------------------------------------------------------

const settings = z.strictObject(settingsShape)
const preprocessing = z.strictObject({
  preset: z.string().min(1).max(64).optional(),
  settings: settings.optional(),
  labels: z.array(z.string().max(500)).max(100_000).nullable().optional(),
  labelsSource: z.string().max(255).optional(),
  dataset: z.string().min(1).max(4096).nullable().optional(),
  replace: z.boolean().optional(),
  source: z.literal('detected').optional(),
  card: z.record(z.string(), z.unknown()).optional(),
})

// ---- compression jobs ----------------------------------------------------------------------

const jobSchemas = {
  'variants:derive': z.strictObject({ modelId: id, recipe: recipeSchema }),
  'sweeps:start': z.strictObject({
    modelId: id,
    devices: z.array(name).min(1, 'choose at least one device').max(64),
    dataset: z.string().min(1).max(4096).optional(),
    limit: z.number().int().positive().optional(),
    recipes: z.array(recipeSchema).min(1, 'choose at least one variant').max(100).optional(),
    session: session.optional(),
    latency: latency.optional(),
  }),
  'models:detectPreprocessing': z.strictObject({ modelId: id, dataset: z.string().min(1).max(4096).optional() }),
  'jobs:cancel': z.strictObject({ jobId: id }),
} satisfies { [C in keyof JobRequests]: z.ZodType<ApiPayload<C>> }

// ---- recommendations -----------------------------------------------------------------------

const recommendRequest = z.strictObject({
  device: name,
  constraints: z.strictObject({
    maxLatencyUs: z.number().positive().max(1e12).optional(),
    maxSizeBytes: z.number().positive().max(1e15).optional(),
    maxMemoryBytes: z.number().positive().max(1e15).optional(),
    minTop1: z.number().min(0).max(1).optional(),
    latencyStat: z.enum(['p50', 'p90']).optional(),
  }),
  dataset: z.string().min(1).max(4096).optional(),
  models: z.array(name).max(1000).optional(),
  zoo: z.boolean().optional(),
  fill: z
    .strictObject({
      grid: z.array(z.string().min(1).max(64)).max(100).optional(),
      limit: z.number().int().positive().optional(),
      session: session.optional(),
      latency: latency.optional(),
    })
    .optional(),
})

const recommendSchemas = {
  'recommend:query': recommendRequest,
  'recommend:fill': recommendRequest,
} satisfies { [C in keyof RecommendRequests]: z.ZodType<ApiPayload<C>> }
// ---- early exit ----------------------------------------------------------------------------

const fraction = z.number().min(0, 'thresholds are fractions in [0, 1]').max(1, 'thresholds are fractions in [0, 1]')

const earlyExitSchemas = {
  'earlyExit:plan': z.strictObject({ modelId: id }),
  'earlyExit:start': z.strictObject({
    modelId: id,
    device: name,
    dataset: z.string().min(1).max(4096).optional(),
    split: z.string().min(1).max(64).optional(),
    limit: z.number().int().positive().optional(),
    exits: z.array(name).min(1).max(16).optional(),
    thresholds: z.array(fraction).min(1).max(101).optional(),
    rule: z.enum(['maxprob', 'entropy']).optional(),
    session: session.optional(),
    latency: latency.optional(),
  }),
  'earlyExit:list': z.strictObject({ modelId: id }),
  'earlyExit:addToExplore': z.strictObject({ sweepId: id, thresholds: z.array(fraction).min(1).max(101) }),
} satisfies { [C in keyof EarlyExitRequests]: z.ZodType<ApiPayload<C>> }

/** A schema per channel whose output is exactly the contract's payload type. */
/** What may come with a model's bytes: its card's text, the import dialog's preprocessing (an upload's header too). */
export const importExtras = z.strictObject({
  cardJson: z.string().min(2).max(4 * 1024 * 1024).optional(),
  preprocessing: preprocessing.optional(),
})

export type ApiSchemas = { [C in ApiChannel]: z.ZodType<ApiPayload<C>> }

/** One schema per channel; the annotation keeps each schema's output equal to the contract's payload. */
export const apiSchemas: ApiSchemas = {
  'app:info': none,
  'models:list': none,
  'models:import': z.strictObject({ path: z.string().min(1).max(4096), preprocessing: preprocessing.optional() }),
  'models:importBytes': z.strictObject({
    fileName: z.string().min(1).max(255),
    dataBase64: z.string().min(1).max(MAX_BASE64_CHARS).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'not base64'),
    ...importExtras.shape,
  }),
  'models:setPreprocessing': z.strictObject({ modelId: id, request: preprocessing }),
  'models:inspect': z.strictObject({ modelId: id }),
  'models:variants': z.strictObject({ modelId: id }),
  'models:setLineage': z.strictObject({ modelId: id, parentId: id, recipe: z.string().trim().min(1, 'describe how the variant was made').max(2000) }),
  'models:openDialog': none,
  ...jobSchemas,
  ...earlyExitSchemas,
  'devices:list': none,
  'devices:probe': z.strictObject({ name }),
  'ports:list': none,
  'devices:add-serial': z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1–64 letters, digits, '.', '_' or '-'"),
    path: z.string().min(1).max(4096),
    baudRate: z.number().int().min(50).max(20_000_000).optional(),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).optional(),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).optional(),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).optional(),
    modelId: id.optional(),
    dataset: z.string().min(1).max(4096).optional(),
    windowSeconds: z.number().positive().max(25).optional(),
  }),
  'devices:addSsh': addSsh,
  'devices:remove': z.strictObject({ name }),
  'datasets:list': none,
  'runs:start': startRun,
  'runs:cancel': z.strictObject({ runId: id }),
  'runs:list': runsList,
  'runs:get': z.strictObject({ runId: id }),
  'runs:samples': z.strictObject({ runId: id }),
  'runs:compare': z.strictObject({
    runIds: z.array(id).min(2).max(200),
    baselineRunId: id.optional(),
    noise: z.number().min(0).max(1).optional(),
  }),
  'explore:points': z.union([none, z.strictObject({ modelId: id, deviceName: name })]),
  'reports:export': z.strictObject({ runIds, format: reportFormat }),
  'reports:saveDialog': z.strictObject({ runIds, format: reportFormat }),
  ...recommendSchemas,
}

export function isApiChannel(value: unknown): value is ApiChannel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(apiSchemas, value)
}

/**
 * Parses a payload for a channel; throws StudioError BAD_INPUT naming the first bad field, so
 * the UI can show what to fix.
 */
export function parsePayload<C extends ApiChannel>(channel: C, payload: unknown): ApiPayload<C> {
  const schema: ApiSchemas[C] = apiSchemas[channel]
  const r = schema.safeParse(payload)
  if (r.success) return r.data
  const issue = r.error.issues[0]
  const where = issue && issue.path.length > 0 ? ` at '${issue.path.join('.')}'` : ''
  throw new StudioError('BAD_INPUT', `Invalid request for ${channel}${where}: ${issue?.message ?? 'invalid payload'}.`)
}
