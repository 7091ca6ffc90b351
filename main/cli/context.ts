/** The studio a CLI command works on, and the Ctrl-C signal that cancels its work. */
import type { Command } from 'commander'
import { createLogger } from '../log.js'
import { defaultDbPath } from '../paths.js'
import { Studio } from '../studio.js'
import { CliSecretStore } from './cli-secrets.js'

let current: Studio | null = null
const interrupt = new AbortController()

export function openStudio(cmd: Command): Studio {
  const opts = cmd.optsWithGlobals<{ db?: string; verbose?: boolean; passwordStdin?: boolean }>()
  current = Studio.open({
    dbPath: opts.db ?? defaultDbPath(),
    logger: createLogger(opts.verbose ? 'debug' : 'warn'),
    // Board passwords/passphrases: asked when a connect needs them, never stored.
    secrets: new CliSecretStore({ passwordStdin: opts.passwordStdin === true }),
  })
  return current
}

export function interruptSignal(): AbortSignal {
  return interrupt.signal
}

/** Ctrl-C: abort what the command awaits and cancel its runs (kept in the store as `cancelled`). */
export function interruptAll(reason: Error): void {
  interrupt.abort(reason)
  current?.runs.cancelAll()
}

export async function closeStudio(): Promise<void> {
  const s = current
  current = null
  await s?.close()
}
