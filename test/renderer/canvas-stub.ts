/**
 * happy-dom has no canvas 2D context; Chart.js needs one to build a chart. This stub answers every
 * drawing call with a no-op (and measureText with a width), enough for Chart.js to lay out and
 * "draw", so tests can assert on the Chart instance and its data.
 */
export function installCanvasStub(): void {
  const noop = (): void => undefined
  const gradient = { addColorStop: noop }
  const make = (canvas: HTMLCanvasElement): CanvasRenderingContext2D => {
    const target: Record<string, unknown> = {
      canvas,
      measureText: (t: string) => ({
        width: t.length * 6,
        actualBoundingBoxAscent: 8,
        actualBoundingBoxDescent: 2,
      }),
      getImageData: () => ({ data: new Uint8ClampedArray(4) }),
      createLinearGradient: () => gradient,
      createRadialGradient: () => gradient,
      createPattern: () => null,
      getLineDash: () => [],
      isPointInPath: () => false,
      getTransform: () => ({ a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 }),
    }
    return new Proxy(target, {
      get: (t, k: string) => (k in t ? t[k] : noop),
      set: (t, k: string, v: unknown) => {
        t[k] = v
        return true
      },
    }) as unknown as CanvasRenderingContext2D
  }
  const contexts = new WeakMap<HTMLCanvasElement, CanvasRenderingContext2D>()
  HTMLCanvasElement.prototype.getContext = function getContext(this: HTMLCanvasElement, kind: string) {
    if (kind !== '2d') return null
    let ctx = contexts.get(this)
    if (!ctx) contexts.set(this, (ctx = make(this)))
    return ctx
  } as typeof HTMLCanvasElement.prototype.getContext
}
