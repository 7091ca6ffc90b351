/** Writes the three exports of one selection into a folder. */
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { StudioError } from '../../common/errors.js'
import { toCSV } from './csv.js'
import { toHTML } from './html.js'
import { toJSON, type ReportMeta } from './json.js'
import type { ReportRow } from './rows.js'

/** Absolute paths of the files written. */
export interface ReportPaths {
  html: string
  csv: string
  json: string
}

/**
 * Temp name then rename: a reader (a browser refreshing report.html, a CI step picking up
 * results.csv) never sees a half-written file, and a failed write leaves the previous report intact.
 */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, text, 'utf8')
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true })
    throw e
  }
}

/** Writes report.html, results.csv and results.json into `dir` (created if needed). */
export async function writeReport(
  dir: string,
  rows: readonly ReportRow[],
  meta: ReportMeta,
): Promise<ReportPaths> {
  const root = resolve(dir)
  const paths: ReportPaths = {
    html: join(root, 'report.html'),
    csv: join(root, 'results.csv'),
    json: join(root, 'results.json'),
  }
  // Render everything before touching the disk, so a rendering failure writes nothing.
  const html = await toHTML(rows, meta)
  const csv = toCSV(rows)
  const json = toJSON(rows, meta)
  try {
    await mkdir(root, { recursive: true })
    await writeAtomic(paths.html, html)
    await writeAtomic(paths.csv, csv)
    await writeAtomic(paths.json, json)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new StudioError(
      'BAD_INPUT',
      `Cannot write the report into ${root}: ${why}. Choose a folder you can write to.`,
      {
        cause: e,
      },
    )
  }
  return paths
}
