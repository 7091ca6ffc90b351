/**
 * The studio's half of the session protocol, shared by both transports (RunnerProcess over IPC,
 * AgentClient over SSH): numbers requests, routes events to the request that asked, settles each
 * request with its reply, and fails everything pending when the server goes away.
 */
import { StudioError, fromErrorInfo, toStudioError } from '../../common/errors.js'
import {
  classifyMessage,
  type ReplyOf,
  type SessionEvent,
  type SessionRequest,
  type WithoutId,
} from './protocol.js'

interface Pending {
  resolve: (v: Record<string, unknown>) => void
  reject: (e: StudioError) => void
  onEvent?: ((e: SessionEvent) => void) | undefined
}

export type RequestOf = WithoutId<SessionRequest>
export type ReplyFor<R extends RequestOf> = ReplyOf[R['op']]

export class PendingRequests {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1

  /** Registers a request; returns it with its id (to send) and the promise of its reply. */
  open<R extends RequestOf>(
    req: R,
    onEvent?: (e: SessionEvent) => void,
  ): { message: SessionRequest; reply: Promise<ReplyFor<R>> } {
    const id = this.nextId++
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent })
    })
    return { message: { ...req, id } as SessionRequest, reply: reply as unknown as Promise<ReplyFor<R>> }
  }

  /** One message from the server; returns false when it is not protocol (the caller may log it). */
  dispatch(raw: unknown): boolean {
    const m = classifyMessage(raw)
    if (!m) return false
    if (m.kind === 'event') {
      const p = this.pending.get(m.event.id)
      try {
        p?.onEvent?.(m.event)
      } catch (e) {
        // A listener failing (e.g. the store refusing a chunk) fails its request, not the process.
        this.pending.delete(m.event.id)
        p?.reject(toStudioError(e))
      }
      return true
    }
    const p = this.pending.get(m.reply.id)
    if (!p) return true
    this.pending.delete(m.reply.id)
    if (m.reply.ok) p.resolve(m.reply)
    else p.reject(fromErrorInfo(m.reply.error))
    return true
  }

  failAll(e: StudioError): void {
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
  }
}
