/**
 * The fuzz and fault campaign (`npm run fuzz`): model mutants, hostile datasets, hostile HTTP and
 * WebSocket traffic against `edgebench serve`, and bad serial boards, all from one seed. Small
 * mode runs in CI (test/fuzz/campaign.test.ts); long mode is the release check.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeRng } from '../../common/stats.js'
import { hostileDatasets } from './hostile-datasets.js'
import { httpPart } from './http-part.js'
import { mutant, type Mutant } from './model-mutants.js'
import type { CaseResult, Verdict } from './outcome.js'
import { serialPart } from './serial-part.js'
import { WorkerPool } from './worker-pool.js'

export type Part = 'models' | 'datasets' | 'http' | 'serial'
export const PARTS: readonly Part[] = ['models', 'datasets', 'http', 'serial']

export interface CampaignOptions {
  seed: number
  mode: 'small' | 'long'
  parts?: readonly Part[]
  log?: (line: string) => void
  /** Log every case's verdict, not only the failures. */
  verbose?: boolean
}

export interface PartReport {
  part: Part
  cases: number
  counts: Record<Verdict, number>
  /** Largest peak RSS one input cost (models, datasets: the reading process; http: the server). */
  peakRssBytes: number
  /** The cases that failed (crash, hang, lost, bad figure, bad refusal), for reproduction. */
  failures: CaseResult[]
  /** Every case, in order. */
  all: CaseResult[]
  seconds: number
}

const SIZES = {
  small: { models: 160, datasets: 6, http: 30, serial: 16 },
  long: { models: 10_000, datasets: 300, http: 2_000, serial: 1_000 },
} as const

/** Failures the targets allow none of. */
export const FAILURE_VERDICTS: readonly Verdict[] = ['crash', 'hang', 'lost', 'bad-figure', 'bad-refusal']
/** Memory one hostile input may cost. */
export const MEMORY_LIMIT_BYTES = 1024 ** 3

const ROOT = join(import.meta.dirname, '..', '..')

function sources(): { name: string; bytes: Uint8Array }[] {
  const dirs = [join(ROOT, 'resources', 'models'), join(ROOT, 'test', 'fixtures', 'model')]
  return dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.onnx')).map((f) => ({ name: f, bytes: readFileSync(join(d, f)) })))
}

function report(part: Part, results: CaseResult[], peak: number, started: number): PartReport {
  const counts = { accepted: 0, refused: 0, crash: 0, hang: 0, lost: 0, 'bad-figure': 0, 'bad-refusal': 0 } as Record<Verdict, number>
  for (const r of results) counts[r.verdict]++
  return {
    part,
    cases: results.length,
    counts,
    peakRssBytes: Math.max(peak, ...results.map((r) => r.peakRssBytes ?? 0)),
    failures: results.filter((r) => FAILURE_VERDICTS.includes(r.verdict)),
    all: results,
    seconds: (Date.now() - started) / 1000,
  }
}

async function modelsPart(dir: string, seed: number, count: number, log: (l: string) => void): Promise<CaseResult[]> {
  const r = makeRng(seed)
  const src = sources()
  const pool = new WorkerPool(30_000)
  const results: CaseResult[] = []
  const path = join(dir, 'mutant.onnx')
  try {
    for (let i = 0; i < count; i++) {
      const s = src[i % src.length] as (typeof src)[number]
      let m: Mutant
      try {
        m = mutant(s.bytes, s.name, r, i)
      } catch {
        m = mutant(s.bytes, s.name, r, i - (i % 4) + 1) // an edit the encoder refused: a byte flip instead
      }
      writeFileSync(path, m.bytes)
      // Every 10th mutant also goes through ONNX Runtime for the shapes static inference leaves open.
      results.push(await pool.run({ kind: 'model', what: m.what, path, runtime: i % 10 === 5 }))
      if ((i + 1) % 1000 === 0) log(`  models: ${i + 1} of ${count}`)
    }
  } finally {
    await pool.close()
  }
  return results
}

async function datasetsPart(dir: string, seed: number, variants: number): Promise<CaseResult[]> {
  const pool = new WorkerPool(120_000)
  const results: CaseResult[] = []
  try {
    for (const c of hostileDatasets(join(dir, 'datasets'), makeRng(seed), variants)) {
      results.push(await pool.run({ kind: 'dataset', what: c.what, path: c.path }))
    }
  } finally {
    await pool.close()
  }
  return results
}

export async function runCampaign(o: CampaignOptions): Promise<PartReport[]> {
  const log = o.log ?? ((): void => undefined)
  const size = SIZES[o.mode]
  const out: PartReport[] = []
  const dir = mkdtempSync(join(tmpdir(), 'edgebench-fuzz-'))
  try {
    for (const part of o.parts ?? PARTS) {
      const started = Date.now()
      log(`${part}: starting (${o.mode}, seed ${o.seed})`)
      const partDir = mkdtempSync(join(dir, `${part}-`))
      if (part === 'models') out.push(report(part, await modelsPart(partDir, o.seed, size.models, log), 0, started))
      else if (part === 'datasets') out.push(report(part, await datasetsPart(partDir, o.seed + 1, size.datasets), 0, started))
      else if (part === 'http') {
        const h = await httpPart(partDir, makeRng(o.seed + 2), size.http, log)
        out.push(report(part, h.results, h.serverPeakRss, started))
      } else out.push(report(part, await serialPart(partDir, makeRng(o.seed + 3), size.serial, log), 0, started))
      const last = out[out.length - 1] as PartReport
      log(`${part}: ${last.cases} cases in ${last.seconds.toFixed(0)} s`)
      if (o.verbose) for (const c of last.all) log(`  ${c.verdict.padEnd(11)} ${c.what} | ${(c.detail ?? '').slice(0, 240)}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return out
}

/** The table `npm run fuzz` prints. */
export function formatReport(parts: readonly PartReport[]): string {
  const head = ['part', 'cases', 'accepted', 'refused', 'crashes', 'hangs', 'lost', 'bad figures', 'bad refusals', 'peak RSS', 'time']
  const rows = parts.map((p) => [
    p.part, p.cases, p.counts.accepted, p.counts.refused, p.counts.crash, p.counts.hang, p.counts.lost, p.counts['bad-figure'], p.counts['bad-refusal'],
    `${(p.peakRssBytes / 1024 ** 2).toFixed(0)} MiB`, `${p.seconds.toFixed(0)} s`,
  ].map(String))
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  return [fmt(head), ...rows.map(fmt)].join('\n')
}
