/** One selection of rows → one report file in any format (the CLI, the API and the demo share it). */
import type { ReportFormat } from '../../common/api.js'
import { toCSV } from './csv.js'
import { toHTML, type HtmlMeta } from './html.js'
import { toJSON } from './json.js'
import { toLatex, toMarkdown } from './paper-tables.js'
import { chromiumPdf, type PdfRenderer } from './pdf.js'
import type { ReportRow } from './rows.js'

export const MIME_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  md: 'text/markdown; charset=utf-8',
  tex: 'application/x-tex; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
}

/** A rendered report: text for every format but PDF, whose bytes come in `bytes`. */
export type RenderedReport = { format: ReportFormat; text: string; bytes?: undefined } | { format: 'pdf'; bytes: Uint8Array; text?: undefined }

export interface RenderOptions {
  /** How HTML becomes PDF; default headless Chromium (the desktop app passes Electron's printToPDF). */
  pdf?: PdfRenderer
  signal?: AbortSignal
}

export async function renderReport(
  rows: readonly ReportRow[],
  meta: HtmlMeta,
  format: ReportFormat,
  opts: RenderOptions = {},
): Promise<RenderedReport> {
  switch (format) {
    case 'html':
      return { format, text: await toHTML(rows, meta) }
    case 'pdf':
      return { format, bytes: await (opts.pdf ?? chromiumPdf)(await toHTML(rows, meta), opts.signal) }
    case 'md':
      return { format, text: toMarkdown(rows, meta) }
    case 'tex':
      return { format, text: toLatex(rows, meta) }
    case 'csv':
      return { format, text: toCSV(rows) }
    case 'json':
      return { format, text: toJSON(rows, meta) }
  }
}
