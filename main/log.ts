/**
 * The one logger. Engines take a Logger through their constructors; nothing else writes to the
 * console. Secrets never reach it: callers log names and codes, not payloads.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/** Writes to stderr so stdout stays clean for `--json`. */
export function createLogger(level: LogLevel = 'warn'): Logger {
  const at = (l: LogLevel) => (msg: string) => {
    if (ORDER[l] >= ORDER[level]) process.stderr.write(`[${l}] ${msg}\n`)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
