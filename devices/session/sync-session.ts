/**
 * ORT sessions run synchronously, for the early-exit timed loop. `InferenceSession.run` hops
 * through the event loop (setImmediate) before calling the native binding's run; a chain of
 * segments would pay that hop once per segment, so the split would look dearer than it is. Here
 * the unsplit model and every segment are called through the binding's own synchronous run —
 * the very call `run` makes after its hop — so both sides of the comparison are timed alike.
 *
 * Where the binding cannot be reached (another onnxruntime-node layout), sessions fall back to the
 * public async API; `sync` says which one runs. Pure Node + onnxruntime-node: the agent bundles it.
 */
import * as ort from 'onnxruntime-node'
import {
  createSession,
  toOrtSessionOptions,
  MeasureError,
  type MeasureSessionOptions,
} from '../local/measure.js'

type Feeds = Record<string, ort.Tensor>
type Outputs = Record<string, ort.Tensor>

interface NativeSession {
  loadModel(path: string, options: ort.InferenceSession.SessionOptions): void
  run(feeds: Feeds, fetches: Record<string, null>, options: object): Outputs
  dispose(): void
}

interface Binding {
  binding: { InferenceSession: new () => NativeSession }
  initOrt: () => void
}

let binding: Promise<Binding | null> | null = null

function nativeBinding(): Promise<Binding | null> {
  binding ??= import('onnxruntime-node/dist/binding.js').then(
    (m) => {
      const b = ((m as { default?: unknown }).default ?? m) as Partial<Binding>
      return typeof b.initOrt === 'function' && typeof b.binding?.InferenceSession === 'function'
        ? (b as Binding)
        : null
    },
    () => null,
  )
  return binding
}

export interface SyncSession {
  /** True when runs go straight to the native binding. */
  readonly sync: boolean
  readonly createMs: number
  /** Synchronous where possible: a Promise only on the fallback. */
  run(feeds: Feeds, fetches: readonly string[]): Outputs | Promise<Outputs>
  release(): Promise<void>
}

/** Opens `path` with the studio's session options (the same ones a benchmark uses). */
export async function openSyncSession(path: string, options: MeasureSessionOptions): Promise<SyncSession> {
  const b = await nativeBinding()
  if (!b) {
    const { session, createMs } = await createSession(path, options)
    return {
      sync: false,
      createMs,
      run: (feeds, fetches) => session.run(feeds, [...fetches]),
      release: () => session.release(),
    }
  }
  b.initOrt()
  const native = new b.binding.InferenceSession()
  const t0 = process.hrtime.bigint()
  try {
    native.loadModel(path, toOrtSessionOptions(options))
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new MeasureError('model-invalid', `Error loading ONNX model ${path}: ${why}`, { cause: e })
  }
  const createMs = Number(process.hrtime.bigint() - t0) / 1e6
  const fetchesOf = new Map<readonly string[], Record<string, null>>()
  return {
    sync: true,
    createMs,
    run: (feeds, fetches) => {
      let f = fetchesOf.get(fetches)
      if (!f) fetchesOf.set(fetches, (f = Object.fromEntries(fetches.map((n) => [n, null]))))
      return native.run(feeds, f, {})
    },
    release: () => {
      native.dispose()
      return Promise.resolve()
    },
  }
}
