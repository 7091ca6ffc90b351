import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exitCodeFor, StudioError } from '../../common/errors.js'
import { Store } from '../../main/store/store.js'
import { tempDir } from './fixtures.js'

let dir: string
let cleanup: () => void

beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
})
afterEach(() => cleanup())

/** Opens expecting failure; returns the StudioError so its code and message can be checked. */
function openFails(path: string, busyTimeoutMs?: number): StudioError {
  try {
    const store = Store.open(path, busyTimeoutMs === undefined ? {} : { busyTimeoutMs })
    store.close()
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError)
    return e as StudioError
  }
  throw new Error(`expected Store.open(${path}) to fail`)
}

function expectOneLineStoreError(err: StudioError): void {
  expect(err.code).toBe('STORE_ERROR')
  expect(exitCodeFor(err.code)).toBe(2)
  expect(err.message).not.toContain('\n')
}

describe('opening a bad database file', () => {
  it('refuses a file that is not a database and leaves it byte for byte', () => {
    const path = join(dir, 'notes.db')
    const bytes = Buffer.from('These are my lab notes, not a database.\n'.repeat(50))
    writeFileSync(path, bytes)
    const err = openFails(path)
    expectOneLineStoreError(err)
    expect(err.message).toBe(
      `${path} is not an EdgeBench database (file is not a database). Move it away or pass another --db.`,
    )
    expect(readFileSync(path).equals(bytes)).toBe(true)
    expect(readdirSync(dir)).toEqual(['notes.db'])
  })

  it('refuses the SQLite database of another application without adding tables to it', () => {
    const path = join(dir, 'other.db')
    const other = new Database(path)
    other.exec('CREATE TABLE contacts (name TEXT)')
    other.close()
    const before = readFileSync(path)
    const err = openFails(path)
    expectOneLineStoreError(err)
    expect(err.message).toMatch(/is not an EdgeBench database.*pass another --db/)
    expect(readFileSync(path).equals(before)).toBe(true)
  })

  it('refuses a database made by a newer EdgeBench', () => {
    const path = join(dir, 'future.db')
    Store.open(path).close()
    const raw = new Database(path)
    raw.pragma('user_version = 99')
    raw.close()
    const err = openFails(path)
    expectOneLineStoreError(err)
    expect(err.message).toMatch(/created by a newer EdgeBench \(schema version 99.*upgrade/)
  })

  it('gives up on a database another process keeps locked, naming the cause', () => {
    const path = join(dir, 'busy.db')
    Store.open(path).close()
    const holder = new Database(path)
    holder.exec('BEGIN EXCLUSIVE')
    holder.exec(`UPDATE devices SET name = name`)
    try {
      const err = openFails(path, 200)
      expectOneLineStoreError(err)
      expect(err.message).toMatch(/locked by another process \(waited 0\.2 s\)/)
    } finally {
      holder.exec('ROLLBACK')
      holder.close()
    }
    // Once the other process lets go, the same file opens normally.
    const store = Store.open(path)
    expect(store.listRuns()).toEqual([])
    store.close()
  })

  it('reports a damaged database and how to get going again', () => {
    const path = join(dir, 'damaged.db')
    const store = Store.open(path)
    store.upsertModel({ name: 'resnet8', path: '/m.onnx', sha256: 'a'.repeat(64) })
    store.close()
    // Keep the header page, scribble over every table page after it.
    const bytes = readFileSync(path)
    bytes.fill(0xab, 4096)
    writeFileSync(path, bytes)
    const err = openFails(path)
    expectOneLineStoreError(err)
    expect(err.message).toMatch(/is damaged \(.*malformed.*\)\. Restore it from a backup/)
  })

  it('says so when given a folder instead of a file', () => {
    const err = openFails(dir)
    expectOneLineStoreError(err)
    expect(err.message).toBe(`${dir} is a folder; pass a database file path to --db.`)
  })

  it('explains a location it cannot write to', () => {
    // A regular file where a folder should be: fails even for root, unlike chmod.
    const blocker = join(dir, 'blocker')
    writeFileSync(blocker, 'x')
    const err = openFails(join(blocker, 'studio.db'))
    expectOneLineStoreError(err)
    expect(err.message).toMatch(/^cannot write .*studio\.db .*pass another --db\.$/)
    expect(existsSync(join(blocker, 'studio.db'))).toBe(false)
  })
})
