/**
 * CSV export (RFC 4180): raw numbers in the unit named by the column (µs, bytes, fractions), so a
 * spreadsheet or pandas gets full precision; formatting for people is the HTML report's job.
 */
import type { ReportRow } from './rows.js'

type Cell = string | number | undefined

/** Column name (unit-suffixed) and how to read it from a row. */
const COLUMNS: readonly [string, (r: ReportRow) => Cell][] = [
  ['run_id', (r) => r.runId],
  ['model', (r) => r.model],
  ['family', (r) => r.family],
  ['variant', (r) => r.variant],
  ['parent', (r) => r.parent],
  ['recipe', (r) => r.recipe],
  ['device', (r) => r.device],
  ['device_kind', (r) => r.deviceKind],
  ['threads', (r) => r.threads],
  ['latency_p50_us', (r) => r.latencyP50Us],
  ['latency_p90_us', (r) => r.latencyP90Us],
  ['latency_ci95_lo_us', (r) => r.latencyCi95?.[0]],
  ['latency_ci95_hi_us', (r) => r.latencyCi95?.[1]],
  ['latency_cv', (r) => r.cv],
  ['peak_rss_bytes', (r) => r.peakRssBytes],
  ['session_create_ms', (r) => r.sessionCreateMs],
  ['first_inference_us', (r) => r.firstInferenceUs],
  ['file_bytes', (r) => r.fileBytes],
  ['gzip_bytes', (r) => r.gzipBytes],
  ['params', (r) => r.params],
  ['macs', (r) => r.macs],
  ['peak_activation_bytes', (r) => r.peakActivationBytes],
  ['memory_bytes', (r) => r.memoryBytes],
  ['memory_source', (r) => r.memorySource],
  ['top1', (r) => r.top1],
  ['top5', (r) => r.top5],
  ['speedup', (r) => r.speedup],
  ['top1_delta', (r) => r.top1Delta],
  ['size_ratio', (r) => r.sizeRatio],
  ['eval_count', (r) => r.evalCount],
  ['dataset', (r) => r.dataset],
  ['preprocessing', (r) => r.preprocessing],
  ['measured_at', (r) => r.measuredAt],
  ['bench_run_id', (r) => r.benchRunId],
  ['eval_run_id', (r) => r.evalRunId],
  ['warnings', (r) => (r.warnings.length > 0 ? r.warnings.join('; ') : undefined)],
]

/** The CSV header, in column order. */
export const CSV_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name)

/**
 * Spreadsheets run a cell that starts with = + - @ as a formula; a model name like
 * `=HYPERLINK(...)` must stay text, so such text cells get a leading apostrophe (OWASP's advice).
 */
function defuseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

function cell(value: Cell): string {
  if (value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  return quote(defuseFormula(value))
}

/** Header plus one line per row, CRLF line ends as RFC 4180 asks; empty cells = not measured. */
export function toCSV(rows: readonly ReportRow[]): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const row of rows) lines.push(COLUMNS.map(([, read]) => cell(read(row))).join(','))
  return `${lines.join('\r\n')}\r\n`
}
