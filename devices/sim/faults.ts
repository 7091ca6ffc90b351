/**
 * Fault injection for the simulator: `<kind>@<command>#<n>` fires on the n-th command of that
 * name (`any` counts every command). Kinds: garbage (noise bytes glued before the reply), drop
 * (the reply's m-ready is never sent), reset (the boot banner instead of the rest of the reply),
 * error (an `e-[…]` reply), stuck-clock (an infer's two laps read the same), backwards-clock (the
 * second lap is earlier than the first, without a wrap).
 */
import { StudioError } from '../../common/errors.js'

export type FaultKind = 'garbage' | 'drop' | 'reset' | 'error' | 'stuck-clock' | 'backwards-clock'
export type FaultCommand = 'any' | 'name' | 'profile' | 'db' | 'infer' | 'results' | 'timestamp'

export interface Fault {
  kind: FaultKind
  command: FaultCommand
  /** 1-based occurrence of the command the fault fires on. */
  nth: number
}

const KINDS: readonly FaultKind[] = ['garbage', 'drop', 'reset', 'error', 'stuck-clock', 'backwards-clock']
const COMMANDS: readonly FaultCommand[] = ['any', 'name', 'profile', 'db', 'infer', 'results', 'timestamp']

/** Parses `reset@infer#2`; `drop@db` means the first db command. */
export function parseFault(text: string): Fault {
  const m = /^([a-z-]+)@([a-z]+)(?:#(\d+))?$/.exec(text.trim())
  const kind = m?.[1] as FaultKind | undefined
  const command = m?.[2] as FaultCommand | undefined
  if (
    !m ||
    kind === undefined ||
    command === undefined ||
    !KINDS.includes(kind) ||
    !COMMANDS.includes(command)
  ) {
    throw new StudioError(
      'BAD_INPUT',
      `Bad fault '${text}': write <kind>@<command>[#n] with kind one of ${KINDS.join(', ')} and command one of ${COMMANDS.join(', ')}, e.g. reset@infer#2.`,
    )
  }
  const nth = m[3] === undefined ? 1 : Number(m[3])
  if (nth < 1) throw new StudioError('BAD_INPUT', `Bad fault '${text}': #n counts from 1.`)
  return { kind, command, nth }
}

/** Counts commands and tells which fault (if any) fires on the one being handled. */
export class FaultPlan {
  private readonly counts = new Map<string, number>()
  private readonly fired = new Set<Fault>()

  constructor(private readonly faults: readonly Fault[]) {}

  next(command: string): FaultKind | null {
    const any = (this.counts.get('any') ?? 0) + 1
    this.counts.set('any', any)
    const own = (this.counts.get(command) ?? 0) + 1
    this.counts.set(command, own)
    for (const f of this.faults) {
      if (this.fired.has(f)) continue
      const n = f.command === 'any' ? any : f.command === command ? own : -1
      if (n === f.nth) {
        this.fired.add(f)
        return f.kind
      }
    }
    return null
  }
}
