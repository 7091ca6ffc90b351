import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { rowsFromResults, writeReport } from '../../main/report/index.js'
import { parseCsv } from './csv-parse.js'
import { device, sampleItems } from './sample-results.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-report-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const rows = rowsFromResults(sampleItems())
const meta = { title: 'Zoo', generatedAt: '2026-01-01T00:00:00.000Z', env: device('this computer') }

describe('writeReport', () => {
  it('creates the folder and writes report.html, results.csv, results.json and results.md, no temp files left', async () => {
    const out = join(dir, 'a', 'b')
    const paths = await writeReport(out, rows, meta)
    expect(paths).toEqual({
      html: join(out, 'report.html'),
      csv: join(out, 'results.csv'),
      json: join(out, 'results.json'),
      md: join(out, 'results.md'),
    })
    expect((await readdir(out)).sort()).toEqual(['report.html', 'results.csv', 'results.json', 'results.md'])
    expect(await readFile(paths.md, 'utf8')).toContain('| Model | Variant | Device |')
    expect(await readFile(paths.html, 'utf8')).toMatch(/^<!doctype html>/)
    expect(parseCsv(await readFile(paths.csv, 'utf8'))).toHaveLength(rows.length + 1)
    expect((JSON.parse(await readFile(paths.json, 'utf8')) as { rows: unknown[] }).rows).toHaveLength(
      rows.length,
    )
  })

  it('replaces an earlier report in place', async () => {
    await writeReport(dir, rows, meta)
    await writeReport(dir, rows.slice(0, 1), meta)
    const doc = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as { rows: unknown[] }
    expect(doc.rows).toHaveLength(1)
    expect(await readdir(dir)).toHaveLength(4)
  })

  it('fails with BAD_INPUT and a way out when the folder cannot be made', async () => {
    const file = join(dir, 'not-a-folder')
    await writeFile(file, 'x')
    const err: unknown = await writeReport(join(file, 'out'), rows, meta).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StudioError)
    expect((err as StudioError).code).toBe('BAD_INPUT')
    expect((err as StudioError).message).toMatch(/Choose a folder you can write to/)
  })
})
