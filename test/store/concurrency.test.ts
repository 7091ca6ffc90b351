/**
 * One database, many processes (CI pipelines and a studio window share one): six writers doing a
 * run's whole life at once lose nothing. Deferred transactions that read, then write, failed at
 * once with SQLITE_BUSY here ("locked by another process (waited 3 s)" after no wait at all).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Store } from '../../main/store/store.js'
import { tempDir } from './fixtures.js'

const WRITER = join(import.meta.dirname, 'concurrent-writer.ts')
const PROCESSES = 6
const ROUNDS = 30

let dir: string
let cleanup: () => void
beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
})
afterEach(() => cleanup())

function writer(db: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, db, String(ROUNDS)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('close', (code) => resolve({ code, out }))
  })
}

describe('six processes on one database', () => {
  it('every run of every process is recorded whole, none left active', async () => {
    const db = join(dir, 'studio.db')
    Store.open(db).close()
    const results = await Promise.all(Array.from({ length: PROCESSES }, () => writer(db)))
    for (const r of results) {
      expect(r.out.trim().split('\n').at(-1), r.out).toBe('done 0')
      expect(r.code).toBe(0)
    }
    const raw = new Database(db, { readonly: true })
    try {
      const count = (sql: string): number => raw.prepare(sql).pluck().get() as number
      expect(count(`SELECT count(*) FROM runs WHERE status = 'failed' AND error_code = 'INTERNAL'`)).toBe(PROCESSES * ROUNDS)
      expect(count(`SELECT count(*) FROM runs WHERE status IN ('queued', 'running')`)).toBe(0)
      expect(count('SELECT count(*) FROM predictions')).toBe(PROCESSES * ROUNDS * 50)
      expect(count('SELECT count(*) FROM samples')).toBe(PROCESSES * ROUNDS * 3)
      expect(count(`SELECT count(*) FROM metrics WHERE key = 'x.round'`)).toBe(PROCESSES * ROUNDS)
    } finally {
      raw.close()
    }
  }, 240_000)
})
