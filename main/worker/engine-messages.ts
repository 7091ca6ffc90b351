/**
 * The protocol between the studio and its engine worker (engine-worker.ts), over the same
 * Node IPC channel as the local runner (`serialization: 'advanced'`, so Maps and typed arrays
 * cross as they are). Every request carries an `id` and gets exactly one terminal reply
 * (`derived`, `shapes` or `error`), with any number of `progress` events before it.
 */
import type { ErrorInfo } from '../../common/errors.js'
import type { Dim, Progress } from '../../common/types.js'
import type { CalibrationFeed, DerivedFile } from '../compress/derive.js'
import type { Recipe } from '../compress/recipe.js'
import type { RuntimeShape } from '../model/runtime-shapes.js'

export type ToEngine =
  | { type: 'derive'; id: number; parentPath: string; recipe: Recipe; outPath: string; feed: CalibrationFeed | null }
  | {
      type: 'runtimeShapes'
      id: number
      /** The encoded model (the worker decodes its own copy). */
      model: Uint8Array
      names: string[]
      inputs: Map<string, { dtype: number; shape: Dim[] }>
      dtypes: Map<string, number>
    }

/** The first message of a worker, once ONNX Runtime is loaded. */
export interface ReadyMessage {
  type: 'ready'
  pid: number
  ortVersion: string
  executionProviders: string[]
}

export type EngineEvent = { type: 'progress'; id: number; progress: Progress }

export type EngineTerminal =
  | { type: 'derived'; id: number; value: DerivedFile }
  | { type: 'shapes'; id: number; value: Map<string, RuntimeShape> }
  | { type: 'error'; id: number; error: ErrorInfo }

export type FromEngine = ReadyMessage | EngineEvent | EngineTerminal

const TYPES = new Set(['ready', 'progress', 'derived', 'shapes', 'error'])

export function isFromEngine(m: unknown): m is FromEngine {
  return typeof m === 'object' && m !== null && TYPES.has(String((m as { type?: unknown }).type))
}

/** Drops the id from each member of a union (the process numbers requests itself). */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

export function isEngineTerminal(m: EngineEvent | EngineTerminal): m is EngineTerminal {
  return m.type !== 'progress'
}
