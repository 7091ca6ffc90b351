/** Report exports (HTML, PDF, Markdown, LaTeX, CSV, JSON) of a selection of result rows. */
export { rowsFromResults, guessVariantKind, orderByLineage, type ReportRow, type ResultItem } from './rows.js'
export { toCSV, CSV_COLUMNS } from './csv.js'
export { toJSON, type ReportMeta, type ReportDocument } from './json.js'
export { toHTML, type HtmlMeta, type EmbeddedReportData } from './html.js'
export { toMarkdown, toLatex } from './paper-tables.js'
export { chromiumPdf, findChromium, type PdfRenderer } from './pdf.js'
export { renderReport, MIME_TYPES, type RenderedReport } from './render.js'
export { writeReport, type ReportPaths } from './write-report.js'
