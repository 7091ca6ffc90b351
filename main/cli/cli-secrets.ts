/**
 * How the CLI gets a board's password or key passphrase: never from the database or a file —
 * asked on the terminal (not echoed), or read from stdin with `--password-stdin` (for scripts:
 * `pass show pi | edgebench … --password-stdin`). Held in memory for this command only.
 */
import { StudioError } from '../../common/errors.js'
import { MemorySecretStore, type SecretStore } from '../secrets/secret-store.js'

/** Reads a line from the terminal without echoing it. Ctrl-C cancels. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin
  return new Promise((resolve, reject) => {
    process.stderr.write(question)
    let value = ''
    const wasRaw = stdin.isRaw
    stdin.setRawMode(true)
    stdin.resume()
    stdin.setEncoding('utf8')
    const finish = (err?: Error): void => {
      stdin.off('data', onData)
      stdin.setRawMode(wasRaw)
      stdin.pause()
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u0003') return finish(new StudioError('CANCELLED', 'Cancelled (Ctrl-C).'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else if (ch >= ' ') value += ch
      }
    }
    stdin.on('data', onData)
  })
}

/** All of stdin, without the final newline. */
export async function readStdinSecret(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/** A SecretStore that asks the user when a secret is first needed. */
export class CliSecretStore implements SecretStore {
  readonly persistent = false
  private readonly memory = new MemorySecretStore()
  private stdinUsed = false

  constructor(private readonly opts: { passwordStdin: boolean }) {}

  async get(key: string): Promise<string | null> {
    const known = await this.memory.get(key)
    if (known !== null) return known
    const m = /^device\/(.+)\/(password|passphrase)$/.exec(key)
    const what = m ? `${m[2] === 'password' ? 'Password' : 'Key passphrase'} for ${m[1]}` : 'Secret'
    let value: string | null = null
    if (this.opts.passwordStdin) {
      if (this.stdinUsed) return null
      this.stdinUsed = true
      value = await readStdinSecret()
      if (value === '') throw new StudioError('BAD_INPUT', '--password-stdin was given but stdin was empty.')
    } else if (process.stdin.isTTY) {
      value = await promptHidden(`${what}: `)
    }
    if (value !== null) await this.memory.set(key, value)
    return value
  }

  set(key: string, value: string): Promise<void> {
    return this.memory.set(key, value)
  }

  delete(key: string): Promise<void> {
    return this.memory.delete(key)
  }
}
