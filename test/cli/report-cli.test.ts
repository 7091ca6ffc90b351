/**
 * `edgebench report` as a user runs it: a real process on a real database, holding real runs of a
 * zoo model and of an FP16 variant derived from it (so the report has a lineage to group).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSpec } from '../../main/bench/run-spec.js'
import { parseRecipe } from '../../common/recipe.js'
import { findChromium } from '../../main/report/pdf.js'
import { Studio } from '../../main/studio.js'
import { parseCsv } from '../report/csv-parse.js'
import { pdfText } from '../report/pdf-text.js'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
const quick = { warmupRuns: 2, warmupMs: 10, minRuns: 20, minMs: 50 }
let dir = ''
let db = ''
const ids: number[] = []

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--db', db, ...args], { encoding: 'utf8', cwd: dir, timeout: 180_000 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-report-cli-'))
  db = join(dir, 'studio.db')
  const studio = Studio.open({ dbPath: db })
  try {
    const zoo = await studio.ensureZoo()
    const parent = zoo.find((m) => m.name === 'resnet8')
    if (!parent) throw new Error('no resnet8 in the zoo')
    const { model: fp16 } = await studio.deriveVariant(parent.id, parseRecipe({ method: 'fp16' }))
    for (const m of [parent, fp16]) {
      for (const kind of ['bench', 'eval'] as const) {
        const run = await studio.runAndWait(runSpec({ kind, modelId: m.id, deviceName: 'local', latency: quick, limit: 200 }))
        expect(run.status, run.error ?? '').toBe('finished')
        ids.push(run.id)
      }
    }
  } finally {
    await studio.close()
  }
}, 300_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('edgebench report', () => {
  it('writes a Markdown table with the variant under its parent, speed-up and Δ top-1', () => {
    const r = cli('report', '--model', 'resnet8', '--format', 'md')
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('|'))
    expect(lines[0]).toBe('| Model | Variant | Device | p50 latency | Speed-up | Top-1 | Δ top-1 | Size | Size ratio | Memory |')
    expect(lines[1]).toMatch(/^\| --- \| --- \| --- \| ---: /)
    expect(lines[2]).toMatch(/^\| resnet8 \| fp32 \| local \|/)
    expect(lines[3]).toMatch(/^\| ↳ resnet8-fp16 \| fp16 \| local \| .+ \| \d\.\d\d× \| .+ \| [+−±]\d\.\d pt \| .+ \| \d+ % \|/)
  })

  it('writes a booktabs LaTeX table to a file', () => {
    const out = join(dir, 'table.tex')
    const r = cli('report', '--runs', ids.join(','), '-o', out)
    expect(r.status, r.stderr).toBe(0)
    const tex = readFileSync(out, 'utf8')
    expect(tex).toContain('\\toprule')
    expect(tex).toContain('\\bottomrule')
    expect(tex).toMatch(/\\quad resnet8-fp16 & fp16 & local & /)
    expect(tex).toContain('$\\mu$s')
    expect(tex).not.toMatch(/[^\\]%/)
  })

  it('writes CSV and JSON with the lineage columns', () => {
    const r = cli('report', '--all', '--format', 'csv')
    expect(r.status, r.stderr).toBe(0)
    const table = parseCsv(r.stdout)
    const head = table[0] ?? []
    const row = table.find((t) => t[head.indexOf('model')] === 'resnet8-fp16') ?? []
    expect(row[head.indexOf('parent')]).toBe('resnet8')
    expect(row[head.indexOf('recipe')]).toBe('FP16')
    expect(Number(row[head.indexOf('speedup')])).toBeGreaterThan(0)
    const json = cli('report', '--all', '--format', 'json')
    expect(JSON.parse(json.stdout).rows).toHaveLength(2)
  })

  it('refuses a request it cannot answer with one line and exit 2', () => {
    const none = cli('report', '--format', 'md')
    expect(none.status).toBe(2)
    expect(none.stderr.trim().split('\n')).toHaveLength(1)
    expect(none.stderr).toMatch(/exactly one of --runs <ids>, --model <name> or --all/)
    expect(cli('report', '--all', '--format', 'docx').stderr).toMatch(/not a report format/)
    expect(cli('report', '--all', '--format', 'pdf').stderr).toMatch(/A PDF needs a file/)
    expect(cli('report', '--model', 'nope').status).toBe(2)
  })

  it('says in one line that PDF needs Chromium where there is none', () => {
    const r = spawnSync(process.execPath, [bin, '--db', db, 'report', '--all', '-o', join(dir, 'x.pdf')], {
      encoding: 'utf8',
      env: { ...process.env, EDGEBENCH_CHROMIUM: join(dir, 'no-such-chromium') },
      timeout: 60_000,
    })
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/PDF needs Chromium .*apt-get install chromium/)
  })

  it.skipIf(!findChromium())('prints a PDF holding every row', async () => {
    const out = join(dir, 'report.pdf')
    const r = cli('report', '--all', '-o', out)
    expect(r.status, r.stderr).toBe(0)
    expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-')
    const text = (await pdfText(out)).join('\n')
    expect(text).toContain('resnet8-fp16')
    expect(text).toMatch(/Accuracy vs latency/)
  }, 180_000)
})
