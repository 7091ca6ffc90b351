/**
 * Reading a results.json back (what `edgebench demo` and `runs export --format json` write), for
 * `edgebench check`. Checked with a schema: a file from another tool or a hand-edited one is
 * refused with a line that names the file and the first bad field, never half-read.
 */
import { z } from 'zod'
import { StudioError } from '../../common/errors.js'
import type { ReportDocument } from './json.js'
import type { ReportRow } from './rows.js'

const num = z.number().nullable().optional()
const rowSchema = z.looseObject({
  runId: num,
  benchRunId: num,
  evalRunId: num,
  model: z.string(),
  variant: z.string().optional(),
  device: z.string(),
  threads: num,
  latencyP50Us: num,
  latencyCi95: z.tuple([z.number(), z.number()]).nullable().optional(),
  fileBytes: num,
  top1: num,
  evalCount: num,
  dataset: z.string().optional(),
  datasetName: z.string().optional(),
  split: z.string().optional(),
  warnings: z.array(z.string()).optional(),
})
const docSchema = z.looseObject({
  tool: z.literal('edgebench'),
  generatedAt: z.string(),
  rows: z.array(rowSchema),
  latencySamplesUs: z.record(z.string(), z.array(z.number())).optional(),
})

/** Parses results.json text; BAD_INPUT naming the problem when it is not one. */
export function readResultsJson(text: string, path: string): ReportDocument {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new StudioError('BAD_INPUT', `${path} is not JSON (${e instanceof Error ? e.message : String(e)}); give a results.json from 'edgebench demo' or 'runs export --format json'.`)
  }
  const r = docSchema.safeParse(value)
  if (!r.success) {
    const issue = r.error.issues[0]
    const where = issue && issue.path.length > 0 ? ` at '${issue.path.join('.')}'` : ''
    throw new StudioError('BAD_INPUT', `${path} is not an EdgeBench results.json${where}: ${issue?.message ?? 'unexpected shape'}.`)
  }
  // JSON writes NaN as null; the row type keeps "not measured" as an absent field.
  const rows = r.data.rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)) as unknown as ReportRow)
  return { ...(r.data as unknown as ReportDocument), rows }
}

/**
 * The row a check compares: the only one, or the one of `model` (and `device` when given).
 * Several matches or none are bad input, listing what the file holds.
 */
export function pickRow(doc: ReportDocument, path: string, sel: { model?: string; device?: string }): ReportRow {
  const matches = doc.rows.filter((r) => (sel.model === undefined || r.model === sel.model) && (sel.device === undefined || r.device === sel.device))
  const first = matches[0]
  if (matches.length === 1 && first) return first
  const held = doc.rows.map((r) => `${r.model} on ${r.device}`).join(', ') || 'no rows'
  if (matches.length === 0) {
    throw new StudioError('BAD_INPUT', `${path} has no row${sel.model ? ` for model '${sel.model}'` : ''}${sel.device ? ` on '${sel.device}'` : ''} (it holds: ${held}).`)
  }
  throw new StudioError('BAD_INPUT', `${path} holds ${matches.length} rows (${held}); pick one with --model <name>${sel.device ? '' : ' (and --device)'}.`)
}
