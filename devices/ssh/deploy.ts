/**
 * Content-addressed uploads over SFTP. A file goes to a temporary name, its SHA-256 is checked on
 * the board, and only then is it renamed to its final, hash-named place — so a name that exists
 * always holds the right bytes, and a second deploy is a stat plus a hash (no transfer).
 * No path ever goes through a shell: SFTP takes paths as data, and the board-side hasher gets them
 * as quoted argv words.
 */
import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import type { SFTPWrapper, Stats } from 'ssh2'
import { StudioError } from '../../common/errors.js'
import { closeSftp, type SshConnection } from './connection.js'

/** SHA-256 of files on the board (null where a file is missing), in the order asked. */
export type RemoteHasher = (paths: string[], signal?: AbortSignal) => Promise<(string | null)[]>

/**
 * A board-side hasher for when no agent runs yet (before the runtime is uploaded): node hashes the
 * files given as argv and writes the hex digests as JSON on stdout.
 */
const HASH_SCRIPT =
  "const c=require('crypto'),f=require('fs');process.stdout.write(JSON.stringify(process.argv.slice(1).map(p=>{try{return c.createHash('sha256').update(f.readFileSync(p)).digest('hex')}catch(e){return null}})))"

/** Hashes files on the board with `node -e` over `conn` (`board` names it in errors). */
export function execHasher(conn: SshConnection, board: string): RemoteHasher {
  return async (paths, signal) => {
    const r = await conn.exec(['node', '-e', HASH_SCRIPT, '--', ...paths], signal)
    try {
      const out = JSON.parse(r.stdout) as (string | null)[]
      if (Array.isArray(out) && out.length === paths.length) return out
    } catch {
      // fall through
    }
    throw new StudioError(
      'DEVICE_ERROR',
      `Could not hash files on ${board} with node: ${r.stderr.trim().slice(0, 300) || 'no output'}`,
    )
  }
}

export interface UploadSource {
  /** A local file (streamed with parallel SFTP writes)… */
  localPath?: string
  /** …or bytes in memory (small files). */
  content?: Buffer
  sha256: string
  size: number
}

export interface DeployResult {
  remotePath: string
  /** False when the file was already there and verified. */
  uploaded: boolean
}

/** Parallel SFTP writes of 256 KiB: near OpenSSH scp's throughput on fast links and on Wi-Fi. */
const FAST_PUT = { concurrency: 32, chunkSize: 256 * 1024 }

function sftpError(what: string, e: unknown): StudioError {
  const err = e as Error & { code?: number | string }
  // SFTP status 3 = permission denied, 4 = failure (often a full disk).
  const hint =
    err.code === 3
      ? 'permission denied: choose a remote folder the login may write (remoteDir)'
      : err.code === 4
        ? 'the board may be out of disk space'
        : 'check the board'
  return new StudioError('DEVICE_ERROR', `${what} failed on the board (${err.message}); ${hint}.`, {
    cause: e,
  })
}

function call<T>(fn: (cb: (err: Error | undefined | null, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))))
}

export function stat(sftp: SFTPWrapper, path: string): Promise<Stats | null> {
  return new Promise((resolve, reject) =>
    sftp.stat(path, (err, st) => {
      // SFTP status 2 = no such file.
      if (!err) resolve(st)
      else if ((err as Error & { code?: number }).code === 2) resolve(null)
      else reject(sftpError(`stat ${path}`, err))
    }),
  )
}

/** mkdir -p over SFTP. */
export async function mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
  const parts = dir.split('/').filter(Boolean)
  let cur = dir.startsWith('/') ? '' : '.'
  for (const p of parts) {
    cur = `${cur}/${p}`
    const st = await stat(sftp, cur)
    if (st?.isDirectory()) continue
    if (st)
      throw new StudioError(
        'DEVICE_ERROR',
        `${cur} exists on the board and is not a folder; move it away or choose another remoteDir.`,
      )
    await call<void>((cb) => sftp.mkdir(cur, cb)).catch(async (e: unknown) => {
      // Another upload may have created it meanwhile.
      if (!(await stat(sftp, cur))?.isDirectory()) throw sftpError(`mkdir ${cur}`, e)
    })
  }
}

/** The login's home folder, absolute, and `remoteDir` resolved against it. */
export async function resolveRemoteDir(sftp: SFTPWrapper, remoteDir: string): Promise<string> {
  if (remoteDir.startsWith('/')) return posix.normalize(remoteDir)
  const home = await call<string>((cb) => sftp.realpath('.', cb)).catch((e: unknown) => {
    throw sftpError('Finding the home folder', e)
  })
  const rel = remoteDir === '~' ? '' : remoteDir.replace(/^~\//, '')
  return posix.normalize(posix.join(home, rel))
}

async function put(
  sftp: SFTPWrapper,
  src: UploadSource,
  remotePath: string,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
  const transfer = (cb: (err: Error | undefined | null) => void): void => {
    if (src.localPath) sftp.fastPut(src.localPath, remotePath, { ...FAST_PUT, fileSize: src.size }, cb)
    else if (src.content) sftp.writeFile(remotePath, src.content, cb)
    else cb(new StudioError('INTERNAL', 'An upload needs a local file or content'))
  }
  // A transfer cannot be stopped half-way except by closing the SFTP session (the connection
  // opens a new one when next asked); the temp file left behind is never renamed into place.
  // The call returns at once on cancel, whether or not ssh2 ever reports the closed transfer.
  let onAbort = (): void => undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = (): void => {
      closeSftp(sftp)
      reject(new StudioError('CANCELLED', 'Cancelled during the upload'))
    }
  })
  aborted.catch(() => undefined)
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await Promise.race([call<void>(transfer), aborted])
  } catch (e) {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled during the upload')
    if (e instanceof StudioError) throw e
    throw sftpError(`Uploading to ${remotePath}`, e)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/** Renames over an existing name atomically where the server can (OpenSSH's posix-rename). */
export async function rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  await call<void>((cb) => sftp.ext_openssh_rename(from, to, cb)).catch(async () => {
    await call<void>((cb) => sftp.rename(from, to, cb)).catch((e: unknown) => {
      throw sftpError(`Renaming ${from}`, e)
    })
  })
}

/** Best-effort delete: never fails, and never waits long (a closed SFTP session may not answer). */
export async function remove(sftp: SFTPWrapper, path: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    call<void>((cb) => sftp.unlink(path, cb)).catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2000)
    }),
  ])
  clearTimeout(timer)
}

export const tempSuffix = (): string => `.tmp-${randomBytes(6).toString('hex')}`

function mismatch(path: string, want: string, got: string | null): StudioError {
  return new StudioError(
    'DEVICE_ERROR',
    `The upload to ${path} arrived damaged (SHA-256 ${got ?? 'missing'} instead of ${want}); check the board's disk and try again.`,
  )
}

/**
 * Puts `src` at `remotePath` (normally `<dir>/<sha256><ext>`): skipped when the file is there with
 * the right size and hash; otherwise uploaded to a temp name, verified on the board, renamed.
 */
export async function deployFile(
  sftp: SFTPWrapper,
  hasher: RemoteHasher,
  src: UploadSource,
  remotePath: string,
  signal?: AbortSignal,
): Promise<DeployResult> {
  const existing = await stat(sftp, remotePath)
  if (existing && existing.size === src.size) {
    const [sha] = await hasher([remotePath], signal)
    if (sha === src.sha256) return { remotePath, uploaded: false }
  }
  await mkdirs(sftp, posix.dirname(remotePath))
  const tmp = remotePath + tempSuffix()
  try {
    await put(sftp, src, tmp, signal)
    const [sha] = await hasher([tmp], signal)
    if (sha !== src.sha256) throw mismatch(remotePath, src.sha256, sha ?? null)
    await rename(sftp, tmp, remotePath)
  } catch (e) {
    // After a cancel the SFTP session is closed; the temp name is random and never renamed.
    if (!signal?.aborted) await remove(sftp, tmp)
    throw e
  }
  return { remotePath, uploaded: true }
}

/** A folder of files named by one id: uploaded to a temp folder, every file verified, renamed. */
export async function deployTree(
  sftp: SFTPWrapper,
  hasher: RemoteHasher,
  files: { path: string; source: UploadSource }[],
  remoteDir: string,
  signal?: AbortSignal,
): Promise<{ uploaded: boolean }> {
  const verify = async (root: string): Promise<boolean> => {
    const got = await hasher(
      files.map((f) => posix.join(root, f.path)),
      signal,
    )
    return files.every((f, i) => got[i] === f.source.sha256)
  }
  if ((await stat(sftp, remoteDir))?.isDirectory() && (await verify(remoteDir))) return { uploaded: false }
  const tmp = remoteDir + tempSuffix()
  try {
    for (const f of files) {
      const dest = posix.join(tmp, f.path)
      await mkdirs(sftp, posix.dirname(dest))
      await put(sftp, f.source, dest, signal)
    }
    if (!(await verify(tmp))) throw mismatch(remoteDir, 'the expected hashes', 'different')
    // A damaged earlier copy is moved aside (SFTP cannot rename over a non-empty folder).
    if (await stat(sftp, remoteDir)) await rename(sftp, remoteDir, `${remoteDir}.old${tempSuffix()}`)
    await rename(sftp, tmp, remoteDir)
  } catch (e) {
    // The temp folder stays behind (SFTP has no recursive delete); its random name never collides.
    throw e instanceof StudioError ? e : sftpError(`Uploading ${remoteDir}`, e)
  }
  return { uploaded: true }
}
