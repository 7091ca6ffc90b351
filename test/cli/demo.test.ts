/**
 * `edgebench demo` end to end, shortened (300 test images, 100 ms of timing per model) but with the
 * real zoo, the real derivations and the real report folder: the PDF holds every result row, the
 * CSV holds the INT8, FP16 and pruned variants.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findChromium } from '../../main/report/pdf.js'
import { parseCsv } from '../report/csv-parse.js'
import { pdfText } from '../report/pdf-text.js'

const root = resolve(import.meta.dirname, '../..')
const zoo = readdirSync(join(root, 'resources/models')).filter((f) => f.endsWith('.onnx')).length
// Zoo models shipped as variants of another (a card naming its parent: the fine-tuned pruned resnet8).
const zooVariants = readdirSync(join(root, 'resources/models'))
  .filter((f) => f.endsWith('.json'))
  .filter((f) => typeof (JSON.parse(readFileSync(join(root, 'resources/models', f), 'utf8')) as { parent?: unknown }).parent === 'string').length
const dir = mkdtempSync(join(tmpdir(), 'edgebench-demo-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('edgebench demo', () => {
  it('measures the zoo and three models’ INT8/FP16/pruned variants, and writes every format', async () => {
    const out = join(dir, 'report')
    const r = spawnSync(
      process.execPath,
      [join(root, 'bin/edgebench.mjs'), '--db', join(dir, 'studio.db'), 'demo', '-o', out, '--limit', '300', '--min-ms', '100'],
      { encoding: 'utf8', cwd: dir, timeout: 900_000 },
    )
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain(`${zoo} models and 9 variants`)
    const table = parseCsv(readFileSync(join(out, 'results.csv'), 'utf8'))
    const head = table[0] ?? []
    const rows = table.slice(1)
    const col = (name: string): string[] => rows.map((row) => row[head.indexOf(name)] ?? '')
    expect(rows).toHaveLength(zoo + 9)
    for (const kind of ['fp32', 'int8', 'fp16', 'pruned']) expect(col('variant')).toContain(kind)
    expect(col('parent').filter(Boolean)).toHaveLength(9 + zooVariants)
    expect(col('speedup').filter(Boolean)).toHaveLength(9 + zooVariants)
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('↳ resnet8-int8-minmax')
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).rows).toHaveLength(zoo + 9)
    if (!findChromium()) {
      expect(r.stdout).toMatch(/no report\.pdf: no Chromium/)
      return
    }
    const pdf = join(out, 'report.pdf')
    expect(existsSync(pdf)).toBe(true)
    const text = (await pdfText(pdf)).join('\n')
    for (const model of col('model')) expect(text).toContain(model)
  }, 900_000)
})
