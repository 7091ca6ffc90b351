/** 'reports:export': stored runs → a report file (HTML, PDF, Markdown, LaTeX, CSV or JSON) with a file name. */
import type { ReportFile, ReportFormat } from '../../common/api.js'
import { StudioError } from '../../common/errors.js'
import type { RunRecord } from '../../common/types.js'
import { envsForRuns, rowsForRuns } from '../report/report-items.js'
import { latencySamplesFor } from '../report/samples.js'
import { sweepsForRuns } from '../report/early-exit.js'
import { MIME_TYPES, renderReport, type PdfRenderer } from '../report/index.js'
import type { Studio } from '../studio.js'

/** edgebench-report-2026-11-23-1304.html: sortable, and safe on every file system. */
export function reportFileName(format: ReportFormat, now: Date): string {
  const stamp = now.toISOString().slice(0, 16).replace('T', '-').replace(':', '')
  return `edgebench-report-${stamp}.${format}`
}

export interface ExportOptions {
  now?: Date
  /** How HTML becomes PDF here (the desktop app: Electron's printToPDF); default Chromium. */
  pdf?: PdfRenderer
}

export async function exportReport(
  studio: Studio,
  runIds: readonly number[],
  format: ReportFormat,
  opts: ExportOptions = {},
): Promise<ReportFile> {
  const now = opts.now ?? new Date()
  const runs: RunRecord[] = runIds.map((id) => {
    const run = studio.store.getRun(id)
    if (!run) throw new StudioError('NOT_FOUND', `No run with id ${id}.`)
    return run
  })
  const rows = await rowsForRuns(studio, runs)
  const meta = {
    title: 'EdgeBench report',
    generatedAt: now.toISOString(),
    envs: envsForRuns(runs),
    earlyExit: sweepsForRuns(studio.store, runs),
    // results.json carries the samples, so `edgebench check` can judge a later run against it.
    ...(format === 'json' ? { latencySamplesUs: latencySamplesFor(studio.store, rows) } : {}),
  }
  const out = await renderReport(rows, meta, format, opts.pdf ? { pdf: opts.pdf } : {})
  const fileName = reportFileName(format, now)
  if (out.bytes) return { fileName, mimeType: MIME_TYPES.pdf, content: Buffer.from(out.bytes).toString('base64'), encoding: 'base64' }
  return { fileName, mimeType: MIME_TYPES[format], content: out.text, encoding: 'utf8' }
}
