/** `edgebench quantize | prune | sweep` as a user runs them: real process, real files, real store. */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
const resnet8 = join(root, 'resources/models/resnet8.onnx')
let dir: string
let db: string

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--db', db, ...args], { encoding: 'utf8', cwd: dir, timeout: 240_000 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-compress-cli-'))
  db = join(dir, 'studio.db')
})

describe('edgebench quantize / prune / sweep', () => {
  it('quantize --json names the variant file and its figures, and stores it with its parent and recipe', () => {
    const out = join(dir, 'r8-int8.onnx')
    const r = cli('quantize', resnet8, '--mode', 'int8-static', '--samples', '100', '-o', out, '--json')
    expect(r.status, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as Record<string, unknown> & { ratios: { fileBytes: number }; fallback: unknown[]; agreement: { top1: number }; variant: string }
    expect(j.variant).toBe(out)
    for (const k of ['params', 'macs', 'fileBytes', 'gzipBytes', 'fallback', 'agreement', 'quantizedNodes']) expect(j).toHaveProperty(k)
    expect(j.ratios.fileBytes).toBeLessThanOrEqual(0.3)
    expect(j.fallback).toEqual([])
    expect(j.agreement.top1).toBeGreaterThan(0.97)
    expect(existsSync(out)).toBe(true)
    const conn = new Database(db, { readonly: true })
    const rows = conn.prepare('SELECT name, kind, parent_id, recipe FROM models ORDER BY id').all() as { name: string; kind: string; parent_id: number | null; recipe: string | null }[]
    conn.close()
    const variant = rows.find((x) => x.kind === 'int8')
    expect(variant?.parent_id).not.toBeNull()
    expect(JSON.parse(variant?.recipe ?? '{}')).toMatchObject({ method: 'int8-static', params: { calibrator: 'minmax', perChannel: true, samples: 100 } })
  }, 120_000)

  it('prune --structured 0.5 on resnet8 keeps ≤ 40 % of the MACs; bad ratios exit 2 and leave no file', () => {
    const out = join(dir, 'r8-s50.onnx')
    const r = cli('prune', resnet8, '--structured', '0.5', '-o', out, '--json')
    expect(r.status, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as { ratios: { macs: number }; prune: { layers: unknown[] } }
    expect(j.ratios.macs).toBeLessThanOrEqual(0.4)
    expect(j.prune.layers.length).toBeGreaterThan(0)
    const bad = join(dir, 'bad.onnx')
    const b = cli('prune', resnet8, '--structured', '1.5', '-o', bad)
    expect(b.status).toBe(2)
    expect(b.stderr).toMatch(/between 0 and 1/)
    const both = cli('prune', resnet8, '--structured', '0.5', '--unstructured', '0.5', '-o', bad)
    expect(both.status).toBe(2)
    expect(existsSync(bad)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  }, 120_000)

  it('sweep measures the parent and each variant: latency, speed-up, accuracy and sizes', () => {
    const r = cli('sweep', resnet8, '--grid', 'fp16,pruned-s50', '--limit', '200', '--min-runs', '20', '--min-ms', '50', '--json')
    expect(r.status, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as { rows: { label: string; p50Us: number; speedup: number; top1: number; fileBytes: number; error: string | null }[] }
    expect(j.rows.map((x) => x.label)).toEqual(['fp32', 'fp16', 'pruned-s50'])
    for (const row of j.rows) {
      expect(row.error).toBeNull()
      expect(row.p50Us).toBeGreaterThan(0)
      expect(row.top1).toBeGreaterThan(0)
      expect(row.speedup).toBeGreaterThan(0)
    }
    expect(j.rows[0]?.speedup).toBe(1)
    const unknown = cli('sweep', resnet8, '--grid', 'int3')
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown sweep variant/)
  }, 240_000)
})
