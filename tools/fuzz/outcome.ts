/**
 * How the fuzz campaign judges one hostile input. The studio must either accept it (and report
 * sane figures) or refuse it with a StudioError of a known code and a one-line message; anything
 * else is a crash. Memory is the peak RSS one input cost, measured in the process that read it.
 */
import { isErrorCode, StudioError } from '../../common/errors.js'

export type Verdict = 'accepted' | 'refused' | 'crash' | 'hang' | 'lost' | 'bad-figure' | 'bad-refusal'

export interface CaseResult {
  what: string
  verdict: Verdict
  /** The refusal's code and message, or what went wrong. */
  detail?: string
  /** Peak RSS while this input was handled, bytes (where measured). */
  peakRssBytes?: number
}

/** Judges a thrown value: a proper refusal, a refusal that is not one line, or a crash. */
export function judgeError(e: unknown): { verdict: Verdict; detail: string } {
  if (e instanceof StudioError && isErrorCode(e.code) && e.code !== 'INTERNAL') {
    const oneLine = e.message.length > 0 && !e.message.includes('\n')
    return { verdict: oneLine ? 'refused' : 'bad-refusal', detail: `${e.code}: ${e.message.slice(0, 300)}` }
  }
  const text = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)
  return { verdict: 'crash', detail: text.slice(0, 2000) }
}

/** Linux: resets the peak-RSS mark (VmHWM) of this process, so the next reading is one case's peak. */
export function resetPeakRss(writeFile: (p: string, d: string) => void): void {
  try {
    writeFile('/proc/self/clear_refs', '5')
  } catch {
    // Not Linux, or not allowed: the peak then covers every case so far (an upper bound).
  }
}

/** Peak RSS of a process (VmHWM), bytes; the resource usage figure elsewhere. */
export function peakRss(readFile: (p: string) => string, pid: number | 'self' = 'self'): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFile(`/proc/${pid}/status`))
    if (m) return Number(m[1]) * 1024
  } catch {
    // fall through
  }
  return pid === 'self' ? process.resourceUsage().maxRSS * 1024 : 0
}
