/**
 * Limits a stream of progress updates to at most `perSecond` deliveries: the latest value wins,
 * and `flush` delivers the last pending one (so 100 % is never swallowed).
 */
export interface Throttled<T> {
  push(value: T): void
  flush(): void
}

export function throttle<T>(
  deliver: (value: T) => void,
  perSecond = 10,
  now = () => Date.now(),
): Throttled<T> {
  const interval = 1000 / perSecond
  let last = -Infinity
  let pending: { value: T } | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  const fire = (): void => {
    timer = null
    if (!pending) return
    last = now()
    const { value } = pending
    pending = null
    deliver(value)
  }
  return {
    push(value: T): void {
      pending = { value }
      const wait = last + interval - now()
      if (wait <= 0) fire()
      else if (!timer) timer = setTimeout(fire, wait)
    },
    flush(): void {
      if (timer) clearTimeout(timer)
      fire()
    },
  }
}
