/**
 * The studio's side of the engine worker: each job forks a fresh worker (engine-worker.ts)
 * with the same process plumbing as the local runner (devices/local/child-process.ts), streams its progress, and ends it. A fresh process per
 * job returns calibration's memory to the OS, and cancel is simply ending it. This module never
 * imports onnxruntime-node, so neither does the Electron main bundle (test/app/bundle.test.ts).
 */
import { readdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { StudioError, fromErrorInfo, toStudioError } from '../../common/errors.js'
import type { Progress } from '../../common/types.js'
import { childEntry, type ChildEntry } from '../../devices/local/child-entry.js'
import { ChildProcessBase, forkChild, throwIfAborted } from '../../devices/local/child-process.js'
import type { DerivedFile, DeriveOptions } from '../compress/derive.js'
import { recipeLabel, type Recipe } from '../compress/recipe.js'
import { encodeModel } from '../model/onnx-io.js'
import type { RuntimeShapesFn } from '../model/inspect.js'
import {
  isEngineTerminal,
  isFromEngine,
  type EngineEvent,
  type EngineTerminal,
  type ReadyMessage,
  type ToEngine,
  type WithoutId,
} from './engine-messages.js'

/** The worker: engine-worker.ts under tsx (dev, tests), engine-worker.js in a build (unpacked from an asar). */
export const engineEntry = (): ChildEntry =>
  childEntry(new URL('./engine-worker.ts', import.meta.url), new URL('./engine-worker.js', import.meta.url))

interface Pending {
  resolve: (m: EngineTerminal) => void
  reject: (e: StudioError) => void
  onEvent?: ((m: EngineEvent) => void) | undefined
}

/** One engine worker process: requests by id, progress events, one terminal reply each. */
export class EngineProcess extends ChildProcessBase {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private onReady: ((m: ReadyMessage) => void) | null = null

  /** Forks a worker and waits for its `ready` (ONNX Runtime loaded). */
  static async start(signal?: AbortSignal, entry = engineEntry()): Promise<EngineProcess> {
    throwIfAborted(signal)
    const proc = new EngineProcess(forkChild(entry), 'compression engine')
    await proc.handshake(new Promise<ReadyMessage>((resolve) => (proc.onReady = resolve)), signal)
    return proc
  }

  /** Sends a request; resolves with its terminal reply (an `error` reply rejects). */
  async request(msg: WithoutId<ToEngine>, onEvent?: (m: EngineEvent) => void, signal?: AbortSignal): Promise<EngineTerminal> {
    const id = this.nextId++
    const reply = new Promise<EngineTerminal>((resolve, reject) => this.pending.set(id, { resolve, reject, onEvent }))
    this.send({ ...msg, id }, signal)
    const m = await this.withAbort(reply, signal)
    if (m.type === 'error') throw fromErrorInfo(m.error)
    return m
  }

  protected onMessage(raw: unknown): void {
    if (!isFromEngine(raw)) return
    if (raw.type === 'ready') {
      this.onReady?.(raw)
      return
    }
    const p = this.pending.get(raw.id)
    if (!p) return
    if (isEngineTerminal(raw)) {
      this.pending.delete(raw.id)
      p.resolve(raw)
    } else p.onEvent?.(raw)
  }

  protected failAll(e: StudioError): void {
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
  }
}

/** Runs one request in a fresh worker; the worker is gone when this settles. */
async function inEngine(
  msg: WithoutId<ToEngine>,
  signal?: AbortSignal,
  onProgress?: (p: Progress) => void,
): Promise<EngineTerminal> {
  const proc = await EngineProcess.start(signal)
  try {
    return await proc.request(msg, (e) => onProgress?.(e.progress), signal)
  } finally {
    await proc.close()
  }
}

/** A worker killed inside saveModel can leave its temp file (`<out>.<hex>.tmp`); never a partial .onnx. */
async function removeTempFiles(outPath: string): Promise<void> {
  const prefix = `${basename(outPath)}.`
  const names = await readdir(dirname(outPath)).catch(() => [] as string[])
  for (const n of names) {
    if (n.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(n.slice(prefix.length))) {
      await rm(join(dirname(outPath), n), { force: true })
    }
  }
}

/**
 * Derives a variant in the engine worker (see compress/derive.ts). A worker that crashes fails
 * this derivation only, with what it printed last; cancel ends the worker.
 */
export async function deriveInEngine(
  parentPath: string,
  recipe: Recipe,
  outPath: string,
  opts: DeriveOptions = {},
): Promise<DerivedFile> {
  try {
    const m = await inEngine(
      { type: 'derive', parentPath, recipe, outPath, feed: opts.feed ?? null },
      opts.signal,
      opts.onProgress,
    )
    if (m.type !== 'derived') throw new StudioError('INTERNAL', `The compression engine answered '${m.type}' to a derivation.`)
    return m.value
  } catch (e) {
    await removeTempFiles(outPath)
    const err = toStudioError(e)
    if (err.code === 'CANCELLED') throw new StudioError('CANCELLED', 'Cancelled; no variant was written.')
    if (err.code !== 'DEVICE_ERROR') throw err
    throw new StudioError(
      'INTERNAL',
      `Deriving the ${recipeLabel(recipe)} variant failed: ${err.message} No variant was written; the studio itself is unaffected.`,
      { cause: e },
    )
  }
}

/** The runtime pass of shape inference (runtime-shapes.ts), run in the engine worker. */
export const runtimeShapesInEngine: RuntimeShapesFn = async (model, names, inputs, dtypes, signal) => {
  const m = await inEngine(
    { type: 'runtimeShapes', model: encodeModel(model), names: [...names], inputs: new Map(inputs), dtypes },
    signal,
  )
  if (m.type !== 'shapes') throw new StudioError('INTERNAL', `The compression engine answered '${m.type}' to a shape pass.`)
  return m.value
}
