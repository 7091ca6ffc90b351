/** 'reports:export': stored runs → a self-contained HTML, CSV or JSON report with a file name. */
import type { ReportFile, ReportFormat } from '../../common/api.js'
import { StudioError } from '../../common/errors.js'
import type { RunRecord } from '../../common/types.js'
import { rowsForRuns } from '../report/report-items.js'
import { sweepsForRuns } from '../report/early-exit.js'
import { toCSV, toHTML, toJSON } from '../report/index.js'
import type { Studio } from '../studio.js'

const MIME: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
}

/** edgebench-report-2026-11-23-1304.html: sortable, and safe on every file system. */
export function reportFileName(format: ReportFormat, now: Date): string {
  const stamp = now.toISOString().slice(0, 16).replace('T', '-').replace(':', '')
  return `edgebench-report-${stamp}.${format}`
}

export async function exportReport(
  studio: Studio,
  runIds: readonly number[],
  format: ReportFormat,
  now: Date = new Date(),
): Promise<ReportFile> {
  const runs: RunRecord[] = runIds.map((id) => {
    const run = studio.store.getRun(id)
    if (!run) throw new StudioError('NOT_FOUND', `No run with id ${id}.`)
    return run
  })
  const rows = await rowsForRuns(studio, runs)
  const meta = { title: 'EdgeBench report', generatedAt: now.toISOString(), earlyExit: sweepsForRuns(studio.store, runs) }
  const content = format === 'json' ? toJSON(rows, meta) : format === 'csv' ? toCSV(rows) : await toHTML(rows, meta)
  return { fileName: reportFileName(format, now), mimeType: MIME[format], content }
}
