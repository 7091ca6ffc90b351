/**
 * `edgebench device add ssh`: registers a Linux board after connecting to it once. The host key
 * must be known or explicitly trusted (--trust-new-host-key, after comparing the fingerprint the
 * refusal prints); passwords and passphrases are asked for or read from stdin, never stored.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { StudioError } from '../../common/errors.js'
import { formatBytes } from '../../common/format.js'
import type { SshAuth } from '../../devices/ssh/connection.js'
import { keyIsEncrypted } from '../../devices/ssh/private-key.js'
import { addSshDevice } from '../bench/ssh-boards.js'
import { deviceAddCommand } from './commands-device.js'
import { promptHidden, readStdinSecret } from './cli-secrets.js'
import { openStudio } from './context.js'
import { printJson, printLine } from './output.js'
import { intOption } from './run-helpers.js'

interface AddSshFlags {
  name: string
  host: string
  port: number
  user: string
  key?: string
  agent?: boolean
  passwordStdin?: boolean
  trustNewHostKey?: boolean
  remoteDir?: string
  json?: boolean
}

function chooseAuth(flags: AddSshFlags, passwordStdin: boolean): SshAuth {
  const given = [flags.key !== undefined, flags.agent === true].filter(Boolean).length
  if (given > 1) throw new StudioError('BAD_INPUT', 'Give either --key <file> or --agent, not both.')
  if (flags.key !== undefined) return 'key'
  if (flags.agent) return 'agent'
  if (passwordStdin || process.stdin.isTTY) return 'password'
  throw new StudioError(
    'BAD_INPUT',
    'Say how to log in: --key <file> (a private key), --agent (keys in ssh-agent), or --password-stdin (a password on stdin).',
  )
}

/** The secret the chosen authentication needs, from stdin or the terminal; never from argv. */
async function askSecret(
  auth: SshAuth,
  flags: AddSshFlags,
  passwordStdin: boolean,
): Promise<{ password?: string; passphrase?: string }> {
  const label = `${flags.user}@${flags.host}`
  const read = async (what: string): Promise<string> => {
    if (passwordStdin) return readStdinSecret()
    if (process.stdin.isTTY) return promptHidden(`${what} for ${label}: `)
    throw new StudioError(
      'BAD_INPUT',
      `${what} needed: run in a terminal, or pass it on stdin with --password-stdin.`,
    )
  }
  if (auth === 'password') return { password: await read('Password') }
  if (auth === 'key' && flags.key) {
    let encrypted = false
    try {
      encrypted = keyIsEncrypted(readFileSync(resolve(flags.key)))
    } catch {
      // addSshDevice names the missing key
    }
    if (encrypted) return { passphrase: await read(`Passphrase of ${flags.key}`) }
  }
  return {}
}

export function registerDeviceSsh(program: Command): void {
  deviceAddCommand(program)
    .command('ssh')
    .description('a Linux board over SSH (connects once to check the host key and probe it)')
    .requiredOption('--name <name>', 'a name for the board, e.g. pi4')
    .requiredOption('--host <host>', 'host name or IP address')
    .option('--port <port>', 'SSH port', intOption('--port', 1), 22)
    .requiredOption('--user <user>', 'login name on the board')
    .option('--key <file>', 'private key file (a passphrase is asked for when the key has one)')
    .option('--agent', 'authenticate with the keys in ssh-agent (SSH_AUTH_SOCK)')
    .option('--password-stdin', 'read the password (or the key passphrase) from stdin')
    .option(
      '--trust-new-host-key',
      "trust the board's host key if it is not known yet (compare its fingerprint first)",
    )
    .option('--remote-dir <dir>', 'studio folder on the board (default ~/.edgebench)')
    .option('--json', 'machine-readable output')
    .action(async (flags: AddSshFlags, cmd: Command) => {
      // --password-stdin is also a global option (for bench/eval/probe), so read it with the globals.
      const passwordStdin = cmd.optsWithGlobals<{ passwordStdin?: boolean }>().passwordStdin === true
      const auth = chooseAuth(flags, passwordStdin)
      const secrets = await askSecret(auth, flags, passwordStdin)
      const studio = openStudio(cmd)
      const row = await addSshDevice(studio, {
        name: flags.name,
        host: flags.host,
        port: flags.port,
        user: flags.user,
        auth,
        ...(flags.key !== undefined ? { keyPath: flags.key } : {}),
        ...(flags.remoteDir !== undefined ? { remoteDir: flags.remoteDir } : {}),
        ...secrets,
        ...(flags.trustNewHostKey ? { trustNewHostKey: true } : {}),
      })
      if (flags.json) return printJson(row)
      const i = row.info
      printLine(`added ${row.name}: ${flags.user}@${flags.host}:${flags.port}`)
      if (i) {
        printLine(`  ${i.cpuModel}, ${i.cores} cores, ${formatBytes(i.ramBytes)} RAM, ${i.arch}, ${i.os}`)
        printLine(`  Node.js ${i.nodeVersion ?? 'not found'}`)
        const problem = i.extra?.nodeProblem
        if (typeof problem === 'string') printLine(`  warning: ${problem}`)
      }
    })
}
