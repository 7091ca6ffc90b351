import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CSV_COLUMNS, toCSV } from '../../main/report/csv.js'
import { toJSON, type ReportDocument } from '../../main/report/json.js'
import { rowsFromResults, type ReportRow } from '../../main/report/rows.js'
import { parseCsv } from './csv-parse.js'
import { device, sampleItems, TRICKY_NAME, XSS_NAME } from './sample-results.js'

const rows = rowsFromResults(sampleItems())

function column(table: string[][], name: string): string[] {
  const i = (table[0] ?? []).indexOf(name)
  expect(i).toBeGreaterThanOrEqual(0)
  return table.slice(1).map((r) => r[i] ?? '')
}

describe('toCSV', () => {
  it('round-trips names with commas, quotes and newlines (RFC 4180)', () => {
    const table = parseCsv(toCSV(rows))
    expect(table[0]).toEqual([...CSV_COLUMNS])
    expect(table).toHaveLength(rows.length + 1)
    expect(table.every((r) => r.length === CSV_COLUMNS.length)).toBe(true)
    expect(column(table, 'model')).toEqual(rows.map((r) => r.model))
    expect(column(table, 'model')).toContain(TRICKY_NAME)
    expect(column(table, 'model')).toContain(XSS_NAME)
  })

  it('writes raw numbers under unit-named columns and empty cells for unmeasured figures', () => {
    const table = parseCsv(toCSV(rows))
    expect(CSV_COLUMNS).toContain('latency_p50_us')
    expect(CSV_COLUMNS).toContain('peak_rss_bytes')
    expect(column(table, 'latency_p50_us')[0]).toBe('182')
    expect(column(table, 'file_bytes')[0]).toBe(String(78_000 * 4 + 2048))
    expect(column(table, 'top1')[0]).toBe('0.921')
    const mobile = rows.findIndex((r) => r.model === 'mobilenet-fp16')
    expect(column(table, 'latency_p50_us')[mobile]).toBe('')
  })

  it("writes each variant's parent, recipe and figures against the parent", () => {
    const table = parseCsv(toCSV(rows))
    const i = rows.findIndex((r) => r.model === 'resnet8-int8' && r.device === 'this computer')
    expect(column(table, 'parent')[i]).toBe('resnet8')
    expect(column(table, 'recipe')[i]).toMatch(/^INT8 static/)
    expect(Number(column(table, 'speedup')[i])).toBeCloseTo(182 / 114, 6)
    expect(Number(column(table, 'top1_delta')[i])).toBeCloseTo(0.918 - 0.921, 9)
    expect(Number(column(table, 'size_ratio')[i])).toBeCloseTo((78_000 + 2048) / (78_000 * 4 + 2048), 9)
    expect(column(table, 'memory_source')[i]).toBe('rss')
    expect(column(table, 'speedup')[0]).toBe('')
  })

  it("joins warnings with '; ' and keeps formula-like text as text", () => {
    const twoWarnings: ReportRow = {
      model: '=HYPERLINK("http://x")',
      variant: 'fp32',
      device: 'd',
      group: 'g',
      warnings: ['a', 'b, c'],
    }
    const table = parseCsv(toCSV([twoWarnings]))
    expect(column(table, 'warnings')).toEqual(['a; b, c'])
    expect(column(table, 'model')).toEqual(['\'=HYPERLINK("http://x")'])
  })

  it('ends every line with CRLF', () => {
    const text = toCSV([{ model: 'm', variant: 'fp32', device: 'd', group: 'm', warnings: [] }])
    expect(text.endsWith('\r\n')).toBe(true)
    expect(text.split('\r\n')).toHaveLength(3)
  })
})

describe('toJSON', () => {
  it('is a parseable document with tool, version, env and the rows', () => {
    const env = device('this computer')
    const doc = JSON.parse(toJSON(rows, { generatedAt: '2026-01-01T00:00:00.000Z', env })) as ReportDocument
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    expect(doc.tool).toBe('edgebench')
    expect(doc.version).toBe(pkg.version)
    expect(doc.generatedAt).toBe('2026-01-01T00:00:00.000Z')
    expect(doc.env?.name).toBe('this computer')
    expect(doc.rows).toEqual(rows)
  })

  it('uses the version it is given and writes non-finite numbers as null', () => {
    const odd: ReportRow = {
      model: 'm',
      variant: 'fp32',
      device: 'd',
      latencyP50Us: Number.NaN,
      group: 'm',
      warnings: [],
    }
    const text = toJSON([odd], { generatedAt: 'now', version: '9.9.9' })
    const doc = JSON.parse(text) as { version: string; rows: { latencyP50Us: unknown }[] }
    expect(doc.version).toBe('9.9.9')
    expect(doc.rows[0]?.latencyP50Us).toBeNull()
    expect(text).toContain('\n  "rows"')
  })
})
