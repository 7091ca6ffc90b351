/** Terminal output for the CLI: JSON to stdout, human text and progress bars to stderr. */
import type { Progress } from '../../common/types.js'

/**
 * Thrown by a command that has printed its answer and must still exit non-zero (a recommendation
 * with nothing meeting the constraints, a check with broken limits): no extra message is printed.
 */
export class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`)
    this.name = 'ExitStatus'
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`)
}

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export function progressBar(label: string): { update(p: Progress): void; done(): void } {
  const tty = process.stderr.isTTY === true
  const start = Date.now()
  let drawn = false
  return {
    update(p: Progress): void {
      if (!tty) return
      const width = 28
      const filled = Math.round(Math.min(1, Math.max(0, p.fraction)) * width)
      const secs = (Date.now() - start) / 1000
      const eta = p.fraction > 0.02 ? ` ~${Math.max(0, secs / p.fraction - secs).toFixed(0)} s left` : ''
      const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(p.fraction * 100).toFixed(0)}% ${p.phase}${eta}`
      process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 100) - 1)}\x1b[K`)
      drawn = true
    },
    done(): void {
      if (drawn) process.stderr.write('\r\x1b[K')
      drawn = false
    },
  }
}

/** Formats rows as a plain aligned table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  return [fmt(headers), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n')
}
