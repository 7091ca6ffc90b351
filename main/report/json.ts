/** JSON export: the rows with enough context to tell later when, with what and where they were made. */
import type { EarlyExitResult } from '../../common/early-exit.js'
import type { DeviceInfo } from '../../common/types.js'
import type { ReportRow } from './rows.js'
import { toolVersion } from './tool-version.js'

/** What every export carries besides the rows. */
export interface ReportMeta {
  title: string
  /** ISO 8601 time the report was made. */
  generatedAt: string
  /** The studio's version; read from package.json when absent. */
  version?: string
  /** The machine that made the report (each row's own device is in the row). */
  env?: DeviceInfo
  /** JSON only: each benchmark's latency samples (µs, in the order measured) by bench run id. */
  latencySamplesUs?: Record<string, number[]>
  /** The environment each device of the rows reported. */
  envs?: DeviceInfo[]
  /** IANA zone for times shown to people; default: this machine's. */
  timeZone?: string
  /** Early-exit sweeps of the report's models. */
  earlyExit?: readonly EarlyExitResult[]
}

/** The shape of results.json. */
export interface ReportDocument {
  generatedAt: string
  tool: 'edgebench'
  version: string
  title?: string
  env?: DeviceInfo
  envs?: DeviceInfo[]
  rows: ReportRow[]
  /**
   * Latency samples (µs) by bench run id, so `edgebench check` can judge a later run against this
   * file with the same bootstrap verdict as Compare. Optional: older files have only each row's CI.
   */
  latencySamplesUs?: Record<string, number[]>
  earlyExit?: EarlyExitResult[]
}

/** Pretty-printed `{ generatedAt, tool, version, env?, rows, latencySamplesUs? }`; NaN/Infinity become null. */
export function toJSON(
  rows: readonly ReportRow[],
  meta: Omit<ReportMeta, 'title'> & { title?: string },
): string {
  const doc: ReportDocument = {
    generatedAt: meta.generatedAt,
    tool: 'edgebench',
    version: meta.version ?? toolVersion(),
    ...(meta.title !== undefined ? { title: meta.title } : {}),
    ...(meta.env ? { env: meta.env } : {}),
    ...(meta.envs && meta.envs.length > 0 ? { envs: meta.envs } : {}),
    rows: [...rows],
    ...(meta.latencySamplesUs ? { latencySamplesUs: meta.latencySamplesUs } : {}),
    ...(meta.earlyExit && meta.earlyExit.length > 0 ? { earlyExit: [...meta.earlyExit] } : {}),
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}
