/**
 * The agent protocol (docs/protocols.md §2): JSON Lines over the SSH channel's stdio. Each request is
 * `{ id, op, ... }`; each reply `{ id, ok: true, ... }` or `{ id, ok: false, error }`; events
 * `{ event, id, ... }` come before the reply of their request. Float32 payloads travel base64
 * (little-endian, as every board the agent supports is).
 *
 * Pure: no I/O, shared by the studio (devices/ssh) and the agent (bundled onto the board).
 */
import type { ErrorInfo } from '../../common/errors.js'
import type {
  LatencySpec,
  MemoryResult,
  NodeProfile,
  SessionOptions,
  TensorInfo,
} from '../../common/types.js'

export const AGENT_PROTOCOL_VERSION = 1

/** One batch of an evaluation file: `count` samples of `dims` starting at sample `offset`. */
export interface EvalBatchRef {
  offset: number
  count: number
  dims: number[]
}

export type AgentRequest =
  | { id: number; op: 'hello' }
  | { id: number; op: 'load'; modelPath: string; session: SessionOptions }
  | { id: number; op: 'bench'; spec: LatencySpec }
  | { id: number; op: 'eval'; path: string; batches: EvalBatchRef[]; output?: string }
  | { id: number; op: 'hash'; paths: string[] }
  | { id: number; op: 'unload' }
  | { id: number; op: 'bye' }

export type AgentOp = AgentRequest['op']

export interface HelloReply {
  protocol: number
  pid: number
  node: string
  platform: string
  arch: string
  ortVersion: string
  executionProviders: string[]
}

export interface LoadReply {
  inputs: TensorInfo[]
  outputs: TensorInfo[]
  sessionCreateMs: number
  sessionRssBytes: number | null
}

export interface BenchReply {
  firstInferenceUs: number
  sessionCreateMs: number
  memory: MemoryResult
  sampleCount: number
  profile?: NodeProfile[]
}

export interface EvalReply {
  count: number
}

export interface HashReply {
  /** SHA-256 per path, null where the file does not exist. */
  sha256: (string | null)[]
}

/** Reply payload per op. */
export interface ReplyOf {
  hello: HelloReply
  load: LoadReply
  bench: BenchReply
  eval: EvalReply
  hash: HashReply
  unload: Record<string, never>
  bye: Record<string, never>
}

export type AgentEvent =
  | {
      event: 'progress'
      id: number
      phase: 'warmup' | 'latency' | 'profile' | 'accuracy'
      done: number
      total?: number
      elapsedMs: number
    }
  | { event: 'samples'; id: number; chunkUs: number[] }
  | {
      event: 'result'
      id: number
      offset: number
      count: number
      classes: number
      scores: string
      inferUs: number
    }

export type AgentReply =
  ({ id: number; ok: true } & Record<string, unknown>) | { id: number; ok: false; error: ErrorInfo }

export type AgentMessage = { kind: 'event'; event: AgentEvent } | { kind: 'reply'; reply: AgentReply }

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** Parses one line from the agent; anything else (a stray print, a damaged line) gives null. */
export function parseAgentLine(line: string): AgentMessage | null {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    return null
  }
  if (!isObj(v) || !isNum(v.id)) return null
  if (typeof v.event === 'string') {
    if (v.event === 'samples' && Array.isArray(v.chunkUs) && v.chunkUs.every(isNum)) {
      return { kind: 'event', event: { event: 'samples', id: v.id, chunkUs: v.chunkUs } }
    }
    if (v.event === 'progress' && isNum(v.done) && typeof v.phase === 'string') {
      return { kind: 'event', event: v as unknown as AgentEvent }
    }
    if (
      v.event === 'result' &&
      isNum(v.offset) &&
      isNum(v.count) &&
      isNum(v.classes) &&
      typeof v.scores === 'string'
    ) {
      return { kind: 'event', event: v as unknown as AgentEvent }
    }
    return null
  }
  if (v.ok === true) return { kind: 'reply', reply: v as AgentReply }
  if (
    v.ok === false &&
    isObj(v.error) &&
    typeof v.error.code === 'string' &&
    typeof v.error.message === 'string'
  ) {
    return { kind: 'reply', reply: { id: v.id, ok: false, error: v.error as unknown as ErrorInfo } }
  }
  return null
}

/** Float32 scores as base64 of their little-endian bytes. */
export function encodeFloat32(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')
}

export function decodeFloat32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64')
  const out = new Float32Array(bytes.length / 4)
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 4))
  return out
}

/** Splits a growing text buffer into complete lines; returns the unfinished rest. */
export function splitLines(buffer: string, onLine: (line: string) => void): string {
  let start = 0
  for (;;) {
    const nl = buffer.indexOf('\n', start)
    if (nl < 0) break
    const line = buffer.slice(start, nl).trim()
    if (line) onLine(line)
    start = nl + 1
  }
  return buffer.slice(start)
}
