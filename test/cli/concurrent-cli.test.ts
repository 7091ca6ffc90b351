/**
 * Six `edgebench` processes on one database at once, as CI pipelines sharing a studio database
 * run them (issue 14: 7 of 48 such processes failed with "locked" or left runs running): three
 * two-model benches and three evals. Every process succeeds and every run is recorded finished,
 * every eval with all its predictions.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
const models = ['resnet8', 'resnet8-slim'].map((m) => join(root, `resources/models/${m}.onnx`))
const quick = ['--min-runs', '20', '--min-ms', '100', '--warmup-runs', '2', '--warmup-ms', '10']
const LIMIT = 300
const dir = mkdtempSync(join(tmpdir(), 'edgebench-concurrent-'))
const db = join(dir, 'studio.db')

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function cli(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, '--db', db, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (status) => done({ status, stderr }))
  })
}

describe('six CLI processes on one database', () => {
  it('three two-model benches and three evals at once all finish, nothing lost', async () => {
    const jobs: string[][] = []
    for (let i = 0; i < 3; i++) {
      jobs.push(['bench', ...models, ...quick, '--json'])
      jobs.push(['eval', models[0] as string, '--dataset', 'fashion-mnist', '--limit', String(LIMIT), '--json'])
    }
    const results = await Promise.all(jobs.map(cli))
    for (const r of results) expect(r.status, r.stderr).toBe(0)
    const raw = new Database(db, { readonly: true })
    try {
      const runs = raw
        .prepare(`SELECT r.id, r.kind, r.status, r.error, (SELECT count(*) FROM predictions p WHERE p.run_id = r.id) AS predictions FROM runs r`)
        .all() as { id: number; kind: string; status: string; error: string | null; predictions: number }[]
      expect(runs.filter((r) => r.kind === 'bench')).toHaveLength(6)
      expect(runs.filter((r) => r.kind === 'eval')).toHaveLength(3)
      for (const r of runs) expect(r.status, `run ${r.id}: ${r.error}`).toBe('finished')
      for (const r of runs.filter((x) => x.kind === 'eval')) expect(r.predictions).toBe(LIMIT)
    } finally {
      raw.close()
    }
  }, 600_000)
})
