/** A StudioBridge for component and store tests: canned answers per channel and events on demand. */
import type {
  ApiChannel,
  ApiEventName,
  ApiEvents,
  ApiResult,
  ApiValue,
  StudioBridge,
} from '../../common/api.js'

type Handler = (payload: unknown) => unknown

export interface FakeBridge extends StudioBridge {
  calls: { channel: ApiChannel; payload: unknown }[]
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void
}

export function fakeBridge(handlers: Partial<Record<ApiChannel, Handler>>): FakeBridge {
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const calls: { channel: ApiChannel; payload: unknown }[] = []
  return {
    mode: 'browser',
    calls,
    async invoke<C extends ApiChannel>(channel: C, ...args: unknown[]): Promise<ApiResult<ApiValue<C>>> {
      calls.push({ channel, payload: args[0] })
      const h = handlers[channel]
      if (!h) return { ok: false, error: { code: 'NOT_FOUND', message: `no fake for ${channel}` } }
      try {
        return { ok: true, value: (await h(args[0])) as ApiValue<C> }
      } catch (e) {
        const err = e as { code?: string; message?: string }
        return {
          ok: false,
          error: {
            code: (err.code as 'INTERNAL' | undefined) ?? 'INTERNAL',
            message: err.message ?? String(e),
          },
        }
      }
    },
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      const l = listener as (p: unknown) => void
      set.add(l)
      return () => set.delete(l)
    },
    emit(event, payload) {
      for (const l of listeners.get(event) ?? []) l(payload)
    },
  }
}

export { syntheticPoints } from '../shared/synthetic-points.js'
