/**
 * An SSH device's stored settings (the devices table's `config`, never secrets), checked when read
 * back so a hand-edited or damaged record gives a message instead of a confusing connect failure.
 */
import { StudioError } from '../../common/errors.js'
import { readFileSync } from 'node:fs'
import type { SshAuth, SshConfig } from './connection.js'
import { keyIsEncrypted } from './private-key.js'

const AUTHS: readonly SshAuth[] = ['key', 'agent', 'password']

/** Host names and addresses only: no spaces, no leading '-' (never read as an option anywhere). */
export function checkHost(host: string): string {
  const h = host.trim()
  if (!/^[A-Za-z0-9._:%[\]-]+$/.test(h) || h.startsWith('-')) {
    throw new StudioError(
      'BAD_INPUT',
      `'${host}' is not a host name or IP address; give e.g. --host 192.168.1.20 or --host pi.local.`,
    )
  }
  return h.replace(/^\[(.*)\]$/, '$1')
}

export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new StudioError('BAD_INPUT', `Port ${port} is not between 1 and 65535.`)
  return port
}

export function checkUser(user: string): string {
  if (!/^[A-Za-z0-9._][A-Za-z0-9._@-]*$/.test(user)) {
    throw new StudioError('BAD_INPUT', `'${user}' is not a valid login name on a Linux board.`)
  }
  return user
}

/** Validates raw stored or submitted config; `name` is the device, for the message. */
export function parseSshConfig(raw: Record<string, unknown>, name: string): SshConfig {
  const bad = (what: string): never => {
    throw new StudioError(
      'BAD_INPUT',
      `Device '${name}' has an invalid SSH setting: ${what}. Remove it and add it again.`,
    )
  }
  const { host, port, user, auth, keyPath, remoteDir } = raw
  if (typeof host !== 'string') return bad('no host')
  if (typeof user !== 'string') return bad('no user')
  if (typeof auth !== 'string' || !(AUTHS as readonly string[]).includes(auth))
    return bad(`auth must be one of ${AUTHS.join(', ')}`)
  if (port !== undefined && typeof port !== 'number') return bad('port is not a number')
  if (keyPath !== undefined && typeof keyPath !== 'string') return bad('keyPath is not a path')
  if (remoteDir !== undefined && (typeof remoteDir !== 'string' || remoteDir.trim() === ''))
    return bad('remoteDir is empty')
  if (auth === 'key' && !keyPath) return bad('auth is key but no keyPath is set')
  return {
    host: checkHost(host),
    port: checkPort(port ?? 22),
    user: checkUser(user),
    auth: auth as SshAuth,
    ...(typeof keyPath === 'string' ? { keyPath } : {}),
    ...(typeof remoteDir === 'string' ? { remoteDir } : {}),
  }
}

/** Which secrets a connect needs: a password (auth 'password') or a key passphrase. */
export interface SecretNeed {
  password: boolean
  passphrase: boolean
}

/** What the configured authentication will ask for (reads the key file's header, not its secret). */
export function secretNeed(config: SshConfig): SecretNeed {
  let passphrase = false
  if (config.auth === 'key' && config.keyPath) {
    try {
      passphrase = keyIsEncrypted(readFileSync(config.keyPath))
    } catch {
      // connect() reports the unreadable key with a proper message
    }
  }
  return { password: config.auth === 'password', passphrase }
}
