/**
 * The typed protocol between LocalDevice (parent) and its runner child process. Messages travel
 * over Node's IPC channel with `serialization: 'advanced'`, so typed arrays cross as typed arrays.
 * Every request carries an `id`; the runner answers it with exactly one terminal message
 * (`loaded`, `benchDone`, `evalResult` or `error`) and any number of events before it.
 */
import type { ErrorInfo } from '../../common/errors.js'
import type {
  LatencySpec,
  MemoryResult,
  NodeProfile,
  SessionOptions,
  TensorInfo,
} from '../../common/types.js'

export type ToRunner =
  | { type: 'load'; id: number; modelPath: string; session: SessionOptions }
  | { type: 'bench'; id: number; spec: LatencySpec }
  | { type: 'eval'; id: number; offset: number; count: number; data: Float32Array; dims: number[]; output?: string }

export type RunnerPhase = 'warmup' | 'latency' | 'profile'

export type FromRunner =
  | { type: 'ready'; pid: number; ortVersion: string; executionProviders: string[] }
  | {
      type: 'loaded'
      id: number
      inputs: TensorInfo[]
      outputs: TensorInfo[]
      sessionCreateMs: number
      sessionRssBytes: number | null
    }
  | { type: 'progress'; id: number; phase: RunnerPhase; done: number; elapsedMs: number; total?: number }
  | { type: 'samples'; id: number; chunkUs: number[] }
  | {
      type: 'benchDone'
      id: number
      firstInferenceUs: number
      sessionCreateMs: number
      memory: MemoryResult
      sampleCount: number
      profile?: NodeProfile[]
    }
  | {
      type: 'evalResult'
      id: number
      offset: number
      count: number
      classes: number
      scores: Float32Array
      inferUs: number
    }
  | { type: 'error'; id: number; error: ErrorInfo }

export type TerminalMessage = Extract<FromRunner, { type: 'loaded' | 'benchDone' | 'evalResult' | 'error' }>
export type EventMessage = Extract<FromRunner, { type: 'progress' | 'samples' }>

const TYPES = new Set(['ready', 'loaded', 'progress', 'samples', 'benchDone', 'evalResult', 'error'])

/** Narrows an IPC message from the child; anything else is a protocol bug worth reporting. */
export function isFromRunner(m: unknown): m is FromRunner {
  return typeof m === 'object' && m !== null && TYPES.has(String((m as { type?: unknown }).type))
}

export function isTerminal(m: FromRunner): m is TerminalMessage {
  return m.type === 'loaded' || m.type === 'benchDone' || m.type === 'evalResult' || m.type === 'error'
}

/** Distributive Omit, so a request can be written without its id. */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never
