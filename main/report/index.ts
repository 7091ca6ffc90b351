/** Report exports (HTML, CSV, JSON) of a selection of result rows. */
export { rowsFromResults, guessVariantKind, type ReportRow, type ResultItem } from './rows.js'
export { toCSV, CSV_COLUMNS } from './csv.js'
export { toJSON, type ReportMeta, type ReportDocument } from './json.js'
export { toHTML, type HtmlMeta, type EmbeddedReportData } from './html.js'
export { writeReport, type ReportPaths } from './write-report.js'
