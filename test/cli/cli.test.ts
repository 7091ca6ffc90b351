/**
 * The `edgebench` command as a user runs it: a real process, a real database file, real models.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
const model = join(root, 'resources/models/resnet8.onnx')
const card = JSON.parse(readFileSync(join(root, 'resources/models/resnet8.json'), 'utf8')) as {
  params: number
  macs: number
  sha256: string
}
const quick = ['--min-runs', '20', '--min-ms', '50', '--warmup-runs', '2', '--warmup-ms', '10']

let dir: string
let db: string

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--db', db, ...args], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 120_000,
  })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function runsInStore(): { kind: string; status: string; error: string | null; error_code: string | null }[] {
  const conn = new Database(db, { readonly: true })
  try {
    return conn.prepare('SELECT kind, status, error, error_code FROM runs ORDER BY id').all() as {
      kind: string
      status: string
      error: string | null
      error_code: string | null
    }[]
  } finally {
    conn.close()
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-cli-'))
  db = join(dir, 'studio.db')
})

describe('edgebench CLI', () => {
  it('inspect --json gives the documented fields, with params equal to the model card', () => {
    const r = cli('inspect', model, '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as Record<string, unknown>
    for (const k of [
      'params',
      'macs',
      'weightsBytes',
      'fileBytes',
      'gzipBytes',
      'peakActivationBytes',
      'inputs',
      'outputs',
      'opCounts',
      'layers',
    ]) {
      expect(out).toHaveProperty(k)
    }
    expect(out.params).toBe(card.params)
    expect(Math.abs((out.macs as number) - card.macs) / card.macs).toBeLessThan(0.01)
    const layers = out.layers as {
      name: string
      op: string
      macs: number
      params: number
      outputShape: unknown
    }[]
    expect(layers.some((l) => l.op === 'Conv' && l.macs > 0)).toBe(true)
  })

  it('bench --json reports latency statistics, memory and the environment, and stores the run with its samples', () => {
    const r = cli('bench', model, ...quick, '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as {
      latencyUs: Record<string, number | number[]>
      firstInferenceUs: number
      sessionCreateMs: number
      memory: { peakRssBytes: number | null; sessionRssBytes: number | null }
      warnings: string[]
      env: { cpuModel: string; cores: number }
    }
    const l = out.latencyUs
    for (const k of ['p50', 'p90', 'p95', 'p99', 'mean', 'min', 'max', 'std', 'cv'])
      expect(typeof l[k]).toBe('number')
    expect(l.min as number).toBeLessThanOrEqual(l.p50 as number)
    expect(l.p50 as number).toBeLessThanOrEqual(l.p90 as number)
    const ci = l.ci95 as number[]
    expect(ci[0]!).toBeLessThanOrEqual(l.p50 as number)
    expect(ci[1]!).toBeGreaterThanOrEqual(l.p50 as number)
    expect(out.firstInferenceUs).toBeGreaterThan(0)
    expect(out.sessionCreateMs).toBeGreaterThan(0)
    expect(out.memory.peakRssBytes).toBeGreaterThan(0)
    expect(out.env.cores).toBeGreaterThan(0)
    expect(Array.isArray(out.warnings)).toBe(true)
    const conn = new Database(db, { readonly: true })
    const n = conn
      .prepare(
        "SELECT count(*) AS n FROM samples s JOIN runs r ON r.id = s.run_id WHERE r.kind = 'bench' AND r.status = 'finished'",
      )
      .get() as { n: number }
    conn.close()
    expect(n.n).toBeGreaterThanOrEqual(20)
  })

  it('eval --json on the bundled dataset gives top-1, per-class accuracy and a confusion matrix', () => {
    const r = cli('eval', model, '--dataset', 'fashion-mnist', '--limit', '500', '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as {
      top1: number
      top5: number
      count: number
      perClass: unknown[]
      confusion: number[][]
      preprocessing: { layout: string }
    }
    expect(out.count).toBe(500)
    expect(out.top1).toBeGreaterThan(0.85)
    expect(out.top5).toBeGreaterThanOrEqual(out.top1)
    expect(out.perClass).toHaveLength(10)
    expect(out.confusion.flat().reduce((a, b) => a + b, 0)).toBe(500)
    expect(out.preprocessing.layout).toBe('NCHW')
  })

  it('runs list and export write what was measured', () => {
    const list = cli('runs', 'list', '--json')
    expect(list.status, list.stderr).toBe(0)
    const runs = JSON.parse(list.stdout) as { id: number; status: string }[]
    expect(runs.length).toBeGreaterThanOrEqual(2)
    const ids = runs.map((x) => String(x.id))
    const csv = cli('runs', 'export', ...ids, '--format', 'csv')
    expect(csv.status, csv.stderr).toBe(0)
    expect(csv.stdout.split('\n')[1]).toContain('resnet8')
    const html = cli('runs', 'export', ...ids, '--format', 'html', '-o', join(dir, 'r.html'))
    expect(html.status, html.stderr).toBe(0)
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('resnet8')
  })

  it('a file that is not ONNX: exit 2, one clear line, and a failed run carrying the message', () => {
    const bad = join(dir, 'not-a-model.onnx')
    writeFileSync(bad, 'this is not a protobuf at all, just some text\n'.repeat(20))
    const before = runsInStore().length
    const r = cli('bench', bad, ...quick, '--json')
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/MODEL_INVALID/)
    const after = runsInStore()
    expect(after).toHaveLength(before + 1)
    expect(after.at(-1)?.status).toBe('failed')
    expect(after.at(-1)?.error_code).toBe('MODEL_INVALID')
  })

  it('a missing file: exit 2 naming the file, store unchanged', () => {
    const before = runsInStore().length
    const r = cli('bench', join(dir, 'nope.onnx'))
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/nope\.onnx/)
    expect(runsInStore()).toHaveLength(before)
  })

  it('a dataset whose classes do not fit the model: exit 2 with DATASET_MISMATCH and a failed run', async () => {
    const sharp = (await import('sharp')).default
    const folder = join(dir, 'three-classes')
    for (const cls of ['a', 'b', 'c']) {
      mkdirSync(join(folder, cls), { recursive: true })
      const px = Buffer.alloc(28 * 28, 128)
      await sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
        .png()
        .toFile(join(folder, cls, '0.png'))
    }
    const r = cli('eval', model, '--dataset', folder, '--json')
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/DATASET_MISMATCH/)
    expect(runsInStore().at(-1)?.status).toBe('failed')
  })

  it('a corrupt database file: exit 2 with a message, the file left as it was', () => {
    const corrupt = join(dir, 'corrupt.db')
    const bytes = Buffer.from('SQLite format 3\u0000'.padEnd(4096, 'x'))
    writeFileSync(corrupt, bytes)
    const r = spawnSync(process.execPath, [bin, '--db', corrupt, 'runs', 'list'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/STORE_ERROR/)
    expect(readFileSync(corrupt).equals(bytes)).toBe(true)
  })

  it('Ctrl-C during a bench exits 130 and keeps the partial run as cancelled, with its samples', async () => {
    const child = spawn(
      process.execPath,
      [bin, '--db', db, 'bench', model, '--min-ms', '60000', '--max-ms', '60000', '--json'],
      { cwd: dir },
    )
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    // Wait until samples are being stored, then interrupt.
    const deadline = Date.now() + 60_000
    for (;;) {
      await new Promise((r) => setTimeout(r, 500))
      const conn = new Database(db, { readonly: true })
      const row = conn
        .prepare(
          "SELECT r.id, count(s.seq) AS n FROM runs r LEFT JOIN samples s ON s.run_id = r.id WHERE r.status = 'running' GROUP BY r.id",
        )
        .get() as { n: number } | undefined
      conn.close()
      if (row && row.n > 0) break
      if (Date.now() > deadline) throw new Error(`no samples stored in time: ${stderr}`)
    }
    child.kill('SIGINT')
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
    expect(code).toBe(130)
    const conn = new Database(db, { readonly: true })
    const last = conn.prepare('SELECT id, status FROM runs ORDER BY id DESC LIMIT 1').get() as {
      id: number
      status: string
    }
    const n = conn.prepare('SELECT count(*) AS n FROM samples WHERE run_id = ?').get(last.id) as { n: number }
    conn.close()
    expect(last.status).toBe('cancelled')
    expect(n.n).toBeGreaterThan(0)
    // `runs show` gives the sample count and statistics of what was measured, labelled partial.
    const shown = cli('runs', 'show', String(last.id), '--json')
    expect(shown.status, shown.stderr).toBe(0)
    const partial = (JSON.parse(shown.stdout) as { partial: { partial: boolean; status: string; samples: number; latencyUs: { count: number; p50: number } } }).partial
    expect(partial).toMatchObject({ partial: true, status: 'cancelled', samples: n.n })
    expect(partial.latencyUs.count).toBe(n.n)
    expect(partial.latencyUs.p50).toBeGreaterThan(0)
    const text = cli('runs', 'show', String(last.id))
    expect(text.stdout).toMatch(new RegExp(`partial \\(cancelled\\): ${n.n.toLocaleString('en-US')} samples measured — p50 `))
  })
})
