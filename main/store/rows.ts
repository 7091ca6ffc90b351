/**
 * Row shapes of the store and the mappers from raw SQLite rows. JSON columns are parsed and
 * checked shallowly: a cell damaged by hand-editing or a bad disk becomes a STORE_ERROR that
 * names the row, instead of a crash deep inside the UI.
 */
import { z } from 'zod'
import type {
  BenchResult,
  DeviceInfo,
  EvalResult,
  InspectResult,
  RunKind,
  RunRecord,
  RunStatus,
} from '../../common/types.js'
import type { StoredLabels, StoredPreprocess } from '../../common/preprocessing.js'
import { damagedCell } from './store-errors.js'

export type DeviceKind = DeviceInfo['kind']

/** How a variant was derived from its parent: the method and the parameters it used. */
export interface VariantRecipe {
  method: string
  params: Record<string, unknown>
}

export interface ModelRow {
  id: number
  name: string
  path: string
  sha256: string
  family: string | null
  /** 'fp32' | 'fp16' | 'int8' | 'pruned' | … — open-ended so new variant kinds need no migration. */
  kind: string
  parentId: number | null
  recipe: VariantRecipe | null
  /** The model card (zoo metadata), when there is one. */
  card: Record<string, unknown> | null
  /** Cached inspection, so listing models does not re-read ONNX files. */
  inspect: InspectResult | null
  /** Its own preprocessing; null = its parent's (a variant), else the default. */
  preprocess: StoredPreprocess | null
  /** Its own label file (class names in output order); null = its parent's, else none. */
  labels: StoredLabels | null
  /** The dataset it was trained for (evaluation and calibration default); null = its parent's. */
  dataset: string | null
  createdAt: string
}

export interface DeviceRow {
  id: number
  name: string
  kind: DeviceKind
  /** Connection settings; never secrets (those live in the OS keychain). */
  config: Record<string, unknown>
  /** The last probe of the device, or null before the first probe. */
  info: DeviceInfo | null
  createdAt: string
  updatedAt: string
}

const objectSchema = z.record(z.string(), z.unknown())
const recipeSchema = z.looseObject({ method: z.string(), params: objectSchema })
const inspectSchema = z.looseObject({
  params: z.number(),
  macs: z.number(),
  sha256: z.string(),
  inputs: z.array(z.unknown()),
  outputs: z.array(z.unknown()),
  layers: z.array(z.unknown()),
})
const preprocessSchema = z.looseObject({ source: z.string(), settings: objectSchema })
const labelsSchema = z.looseObject({ names: z.array(z.string()), source: z.string() })
const deviceInfoSchema = z.looseObject({
  kind: z.enum(['local', 'ssh', 'serial']),
  name: z.string(),
  arch: z.string(),
  os: z.string(),
  cores: z.number(),
})
const benchResultSchema = z.looseObject({
  model: z.string(),
  latencyUs: z.looseObject({ p50: z.number(), count: z.number() }),
  memory: z.looseObject({}),
})
const evalResultSchema = z.looseObject({
  model: z.string(),
  top1: z.number(),
  top5: z.number(),
  count: z.number(),
})
const resultSchema = z.union([benchResultSchema, evalResultSchema])

/** Parses a nullable JSON cell and checks its shape; the cast is what the schema just checked. */
function cell<T>(raw: unknown, schema: z.ZodType, what: string, column: string): T | null {
  if (raw === null || raw === undefined) return null
  if (typeof raw !== 'string') throw damagedCell(what, column, `expected JSON text, got ${typeof raw}`)
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (e) {
    throw damagedCell(what, column, e instanceof Error ? e.message : 'invalid JSON')
  }
  if (value === null) return null
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : ''
    throw damagedCell(what, column, `${first?.message ?? 'unexpected shape'}${where}`)
  }
  return parsed.data as T
}

/** Serialises an optional JSON value for a TEXT column. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value)
}

const text = (v: unknown): string => (typeof v === 'string' ? v : String(v))
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : text(v))
const num = (v: unknown): number => Number(v)
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

export type RawRow = Record<string, unknown>

export function toModelRow(r: RawRow): ModelRow {
  const what = `model ${text(r.id)}`
  return {
    id: num(r.id),
    name: text(r.name),
    path: text(r.path),
    sha256: text(r.sha256),
    family: textOrNull(r.family),
    kind: text(r.kind),
    parentId: numOrNull(r.parent_id),
    recipe: cell<VariantRecipe>(r.recipe, recipeSchema, what, 'recipe'),
    card: cell<Record<string, unknown>>(r.card, objectSchema, what, 'card'),
    inspect: cell<InspectResult>(r.inspect, inspectSchema, what, 'inspect'),
    preprocess: cell<StoredPreprocess>(r.preprocess, preprocessSchema, what, 'preprocess'),
    labels: cell<StoredLabels>(r.labels, labelsSchema, what, 'labels'),
    dataset: textOrNull(r.dataset),
    createdAt: text(r.created_at),
  }
}

export function toDeviceRow(r: RawRow): DeviceRow {
  const what = `device ${text(r.name)}`
  return {
    id: num(r.id),
    name: text(r.name),
    kind: text(r.kind) as DeviceKind,
    config: cell<Record<string, unknown>>(r.config, objectSchema, what, 'config') ?? {},
    info: cell<DeviceInfo>(r.info, deviceInfoSchema, what, 'info'),
    createdAt: text(r.created_at),
    updatedAt: text(r.updated_at),
  }
}

/** Expects the run columns plus `model_name` and `device_label` from the joins. */
export function toRunRecord(r: RawRow): RunRecord {
  const what = `run ${text(r.id)}`
  return {
    id: num(r.id),
    kind: text(r.kind) as RunKind,
    modelId: num(r.model_id),
    modelName: text(r.model_name),
    deviceName: text(r.device_label),
    status: text(r.status) as RunStatus,
    spec: cell<Record<string, unknown>>(r.spec, objectSchema, what, 'spec') ?? {},
    env: cell<DeviceInfo>(r.env, deviceInfoSchema, what, 'env'),
    error: textOrNull(r.error),
    createdAt: text(r.created_at),
    startedAt: textOrNull(r.started_at),
    finishedAt: textOrNull(r.finished_at),
    result: cell<BenchResult | EvalResult>(r.result, resultSchema, what, 'result'),
  }
}
