/** Writes the exports of one selection into a folder (the demo's report folder). */
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { StudioError } from '../../common/errors.js'
import { toCSV } from './csv.js'
import { toHTML } from './html.js'
import { toJSON, type ReportMeta } from './json.js'
import { toMarkdown } from './paper-tables.js'
import { findChromium, type PdfRenderer, chromiumPdf } from './pdf.js'
import type { ReportRow } from './rows.js'

/** Absolute paths of the files written; `pdf` is absent where no Chromium could print it. */
export interface ReportPaths {
  html: string
  pdf?: string
  csv: string
  json: string
  md: string
}

/**
 * Temp name then rename: a reader (a browser refreshing report.html, a CI step picking up
 * results.csv) never sees a half-written file, and a failed write leaves the previous report intact.
 */
export async function writeAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, content)
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true })
    throw e
  }
}

export interface WriteReportOptions {
  /** Also print report.pdf: true = with Chromium where it is installed (skipped where not). */
  pdf?: boolean | PdfRenderer
}

/** Writes report.html, results.csv, results.json, results.md (and report.pdf) into `dir`. */
export async function writeReport(
  dir: string,
  rows: readonly ReportRow[],
  meta: ReportMeta,
  opts: WriteReportOptions = {},
): Promise<ReportPaths> {
  const root = resolve(dir)
  const paths: ReportPaths = {
    html: join(root, 'report.html'),
    csv: join(root, 'results.csv'),
    json: join(root, 'results.json'),
    md: join(root, 'results.md'),
  }
  // Render everything before touching the disk, so a rendering failure writes nothing.
  const html = await toHTML(rows, meta)
  const files: [string, string | Uint8Array][] = [
    [paths.html, html],
    [paths.csv, toCSV(rows)],
    [paths.json, toJSON(rows, meta)],
    [paths.md, toMarkdown(rows, meta)],
  ]
  const printer = typeof opts.pdf === 'function' ? opts.pdf : opts.pdf && findChromium() ? chromiumPdf : null
  if (printer) {
    paths.pdf = join(root, 'report.pdf')
    files.push([paths.pdf, await printer(html)])
  }
  try {
    await mkdir(root, { recursive: true })
    for (const [path, content] of files) await writeAtomic(path, content)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new StudioError('BAD_INPUT', `Cannot write the report into ${root}: ${why}. Choose a folder you can write to.`, {
      cause: e,
    })
  }
  return paths
}
