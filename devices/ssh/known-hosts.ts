/**
 * The studio's own known_hosts file (OpenSSH format, `<dataDir>/known_hosts`), so the studio never
 * trusts or edits the user's ~/.ssh/known_hosts behind their back, and `ssh-keygen -F` still reads
 * it. Parsing and matching are pure; only `readKnownHosts`/`appendKnownHost` touch the disk.
 */
import { createHash, createHmac } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface KnownHostEntry {
  /** Host patterns of the line (plain names or `|1|salt|hash` hashed names). */
  hosts: string[]
  keyType: string
  /** The public key blob, base64. */
  keyBase64: string
  /** `@revoked` lines refuse a key outright; `@cert-authority` lines are not supported and skipped. */
  revoked: boolean
}

/** How a presented host key compares with what the file knows about this host. */
export type HostKeyVerdict =
  | { kind: 'known' }
  | { kind: 'unknown'; fingerprint: string }
  | { kind: 'mismatch'; fingerprint: string; expected: string[] }
  | { kind: 'revoked'; fingerprint: string }

/** The name OpenSSH writes for a host: `host` on port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** `SHA256:<base64 without padding>` of a key blob, exactly as `ssh-keygen -l` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`
}

/** The algorithm name at the start of an SSH public key blob (uint32 length + ASCII name). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown'
  const len = keyBlob.readUInt32BE(0)
  if (len <= 0 || len > 64 || 4 + len > keyBlob.length) return 'unknown'
  return keyBlob.subarray(4, 4 + len).toString('latin1')
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    let revoked = false
    if (fields[0]?.startsWith('@')) {
      if (fields[0] !== '@revoked') continue
      revoked = true
      fields.shift()
    }
    const [hosts, keyType, keyBase64] = fields
    if (!hosts || !keyType || !keyBase64) continue
    entries.push({ hosts: hosts.split(','), keyType, keyBase64, revoked })
  }
  return entries
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${body}$`, 'i')
}

function hashedMatches(pattern: string, token: string): boolean {
  const [, magic, salt, hash] = pattern.split('|')
  if (magic !== '1' || !salt || !hash) return false
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64')
  return mac === hash
}

/** Whether a line's host list names `token` (negated `!patterns` win, as in OpenSSH). */
export function entryMatches(entry: KnownHostEntry, token: string): boolean {
  let matched = false
  for (const p of entry.hosts) {
    if (p.startsWith('|')) {
      if (hashedMatches(p, token)) matched = true
    } else if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(token)) return false
    } else if (globToRegExp(p).test(token)) {
      matched = true
    }
  }
  return matched
}

/**
 * Checks a presented key. A host known with any other key — even of another type — is a mismatch:
 * a man in the middle could otherwise downgrade to a key type the file has no line for.
 */
export function verifyHostKey(entries: KnownHostEntry[], token: string, keyBlob: Buffer): HostKeyVerdict {
  const presented = keyBlob.toString('base64')
  const fingerprint = fingerprintOf(keyBlob)
  const lines = entries.filter((e) => entryMatches(e, token))
  if (lines.some((e) => e.revoked && e.keyBase64 === presented)) return { kind: 'revoked', fingerprint }
  const trusted = lines.filter((e) => !e.revoked)
  if (trusted.some((e) => e.keyBase64 === presented)) return { kind: 'known' }
  if (trusted.length === 0) return { kind: 'unknown', fingerprint }
  const expected = trusted.map((e) => `${e.keyType} ${fingerprintOf(Buffer.from(e.keyBase64, 'base64'))}`)
  return { kind: 'mismatch', fingerprint, expected }
}

/** The line to append for a newly trusted key. */
export function knownHostLine(token: string, keyBlob: Buffer): string {
  return `${token} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}`
}

export function readKnownHosts(path: string): KnownHostEntry[] {
  try {
    return parseKnownHosts(readFileSync(path, 'utf8'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
}

export function appendKnownHost(path: string, token: string, keyBlob: Buffer): void {
  mkdirSync(dirname(path), { recursive: true })
  let prefix = ''
  try {
    const text = readFileSync(path, 'utf8')
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n'
  } catch {
    // a new file
  }
  appendFileSync(path, `${prefix}${knownHostLine(token, keyBlob)}\n`, { mode: 0o600 })
}
