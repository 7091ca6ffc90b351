/** A StudioBridge for component and store tests: canned answers per channel and events on demand. */
import type {
  ApiChannel,
  ApiEventName,
  ApiEvents,
  ApiResult,
  ApiValue,
  ExplorePoint,
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

/** n points over devices × families × variants, with plausible figures. */
export function syntheticPoints(
  n: number,
  devices = ['local', 'rpi4', 'stm32h7'],
  families = ['mobilenet', 'resnet', 'squeezenet', 'shufflenet'],
): ExplorePoint[] {
  const variants = ['fp32', 'fp16', 'int8', 'pruned']
  const out: ExplorePoint[] = []
  let seed = 42
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let i = 0; i < n; i++) {
    const device = devices[i % devices.length] ?? 'local'
    const family = families[Math.floor(i / devices.length) % families.length] ?? null
    const p50 = 100 + rnd() * 20_000
    out.push({
      key: `${i}:${device}`,
      modelId: i,
      model: `${family}-${i}`,
      family,
      variant: variants[i % variants.length] ?? 'fp32',
      device,
      latencyP50Us: p50,
      latencyP90Us: p50 * 1.1,
      cv: rnd() * 0.2,
      peakRssBytes: 1e6 + rnd() * 5e7,
      fileBytes: 1e5 + rnd() * 2e7,
      macs: 1e6 + rnd() * 6e8,
      params: 1e4 + rnd() * 5e6,
      top1: 0.6 + rnd() * 0.35,
      dataset: 'fashion-mnist',
      split: 'test',
      count: 10000,
      benchRunId: 2 * i + 1,
      evalRunId: 2 * i + 2,
    })
  }
  return out
}
