/** known_hosts parsing and host-key verdicts, checked against OpenSSH's own ssh-keygen. */
import { execFileSync } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  appendKnownHost,
  fingerprintOf,
  hostToken,
  keyTypeOf,
  parseKnownHosts,
  readKnownHosts,
  verifyHostKey,
} from '../../../devices/ssh/known-hosts.js'

const dir = mkdtempSync(join(tmpdir(), 'edgebench-kh-'))

function newKey(name: string, type = 'ed25519'): { blob: Buffer; line: string; fingerprint: string } {
  const f = join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', f])
  const line = readFileSync(`${f}.pub`, 'utf8').trim()
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${f}.pub`], { encoding: 'utf8' }).split(
    /\s+/,
  )[1] as string
  return { blob: Buffer.from(line.split(/\s+/)[1] as string, 'base64'), line, fingerprint }
}

const a = newKey('a')
const b = newKey('b')
const ecdsa = newKey('c', 'ecdsa')

describe('known_hosts', () => {
  it('prints fingerprints exactly as ssh-keygen -l does', () => {
    expect(fingerprintOf(a.blob)).toBe(a.fingerprint)
    expect(fingerprintOf(ecdsa.blob)).toBe(ecdsa.fingerprint)
    expect(keyTypeOf(a.blob)).toBe('ssh-ed25519')
    expect(keyTypeOf(ecdsa.blob)).toBe('ecdsa-sha2-nistp256')
  })

  it('names hosts like OpenSSH: bare on port 22, [host]:port otherwise', () => {
    expect(hostToken('pi.local', 22)).toBe('pi.local')
    expect(hostToken('10.0.0.2', 2222)).toBe('[10.0.0.2]:2222')
  })

  it('known, unknown, changed (also to another key type) and revoked', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `pi.local,10.0.0.2 ${a.line.split(' ').slice(0, 2).join(' ')}`,
        `@cert-authority *.lab ${b.line.split(' ').slice(0, 2).join(' ')}`,
        `@revoked bad.host ${b.line.split(' ').slice(0, 2).join(' ')}`,
      ].join('\n'),
    )
    expect(verifyHostKey(entries, 'pi.local', a.blob)).toEqual({ kind: 'known' })
    expect(verifyHostKey(entries, '10.0.0.2', a.blob)).toEqual({ kind: 'known' })
    expect(verifyHostKey(entries, 'other', a.blob)).toEqual({ kind: 'unknown', fingerprint: a.fingerprint })
    expect(verifyHostKey(entries, 'pi.local', b.blob)).toEqual({
      kind: 'mismatch',
      fingerprint: b.fingerprint,
      expected: [`ssh-ed25519 ${a.fingerprint}`],
    })
    expect(verifyHostKey(entries, 'pi.local', ecdsa.blob).kind).toBe('mismatch')
    expect(verifyHostKey(entries, 'bad.host', b.blob).kind).toBe('revoked')
    // cert-authority lines are not host keys
    expect(verifyHostKey(entries, 'x.lab', b.blob).kind).toBe('unknown')
  })

  it('matches hashed host names (HashKnownHosts yes) and negated patterns', () => {
    const salt = randomBytes(20)
    const hash = createHmac('sha1', salt).update('[pi]:2222').digest('base64')
    const key = a.line.split(' ').slice(0, 2).join(' ')
    const entries = parseKnownHosts(`|1|${salt.toString('base64')}|${hash} ${key}\n*.lab,!evil.lab ${key}\n`)
    expect(verifyHostKey(entries, '[pi]:2222', a.blob).kind).toBe('known')
    expect(verifyHostKey(entries, 'pi', a.blob).kind).toBe('unknown')
    expect(verifyHostKey(entries, 'board.lab', a.blob).kind).toBe('known')
    expect(verifyHostKey(entries, 'evil.lab', a.blob).kind).toBe('unknown')
  })

  it('appends lines ssh-keygen -F finds, without touching existing ones', () => {
    const file = join(dir, 'nested', 'known_hosts')
    appendKnownHost(file, '[127.0.0.1]:2200', a.blob)
    appendKnownHost(file, 'pi.local', ecdsa.blob)
    expect(readKnownHosts(file)).toHaveLength(2)
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', file], { encoding: 'utf8' })
    expect(found).toContain(a.line.split(' ')[1])
    expect(readKnownHosts(join(dir, 'missing'))).toEqual([])
  })
})
