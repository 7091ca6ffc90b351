/**
 * Turns low-level SQLite and file-system failures into one-line STORE_ERRORs that name the
 * problem and the fix; the CLI prints the message and exits with status 2.
 */
import { StudioError } from '../../common/errors.js'

function codeOf(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
    return e.code
  }
  return ''
}

/** Another connection holds the lock (a retry may succeed; nothing was written). */
export function isBusy(e: unknown): boolean {
  const code = codeOf(e)
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * Maps an error thrown while opening or using the database at `path`. `busyTimeoutMs` is quoted
 * in the lock message so the user knows the studio did wait before giving up.
 */
export function storeError(e: unknown, path: string, busyTimeoutMs: number): StudioError {
  if (e instanceof StudioError) return e
  const code = codeOf(e)
  const reason = reasonOf(e)
  const fail = (message: string): StudioError => new StudioError('STORE_ERROR', message, { cause: e })
  if (code === 'SQLITE_NOTADB') {
    return fail(`${path} is not an EdgeBench database (${reason}). Move it away or pass another --db.`)
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return fail(
      `${path} is damaged (${reason}). Restore it from a backup, or move it away and pass another --db.`,
    )
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    const secs = (busyTimeoutMs / 1000).toFixed(busyTimeoutMs % 1000 === 0 ? 0 : 1)
    return fail(
      `${path} is locked by another process (waited ${secs} s). Close the other EdgeBench ` +
        'window or command using it, or pass another --db.',
    )
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_PERM') ||
    code.startsWith('SQLITE_AUTH') ||
    ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST'].includes(code)
  ) {
    return fail(`cannot write ${path} (${reason}). Check its permissions or pass another --db.`)
  }
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') {
    return fail(`the disk holding ${path} is full (${reason}). Free some space or pass another --db.`)
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return fail(`cannot read or write ${path} (${reason}). Check the disk, or pass another --db.`)
  }
  return fail(`database ${path}: ${reason}`)
}

/** A JSON cell that does not parse or does not have the expected shape. */
export function damagedCell(what: string, column: string, detail: string): StudioError {
  return new StudioError(
    'STORE_ERROR',
    `${what} has a damaged ${column} column (${detail}). Delete it or restore the database from a backup.`,
  )
}
