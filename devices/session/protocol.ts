/**
 * The session protocol: what the studio asks of a process that holds ONNX Runtime sessions — the
 * local runner (devices/local, over Node IPC) and the SSH agent (devices/agent, JSON Lines over the
 * SSH channel's stdio). Both serve it with the one SessionServer (server.ts); every request, reply
 * and event shape is declared here once (docs/protocols.md §2).
 *
 * Each request is `{ id, op, ... }`; each reply `{ id, ok: true, ...ReplyOf[op] }` or
 * `{ id, ok: false, error }`; events `{ event, id, ... }` come before the reply of their request.
 * Float32Array payloads cross IPC as they are and JSON Lines as `{ "$f32": base64 }` (encodeLine).
 *
 * Pure: no I/O, shared by the studio and both servers (the agent bundles it).
 */
import type { ErrorInfo } from '../../common/errors.js'
import type { ExitRule } from '../../common/early-exit.js'
import type {
  LatencySpec,
  MemoryResult,
  NodeProfile,
  SessionOptions,
  TensorInfo,
} from '../../common/types.js'

/** Version 2: one protocol for the runner and the agent; early exit; typed float payloads. */
export const SESSION_PROTOCOL_VERSION = 2

/** One batch of an evaluation file: `count` samples of `dims` starting at sample `offset`. */
export interface EvalBatchRef {
  offset: number
  count: number
  dims: number[]
}

/** Where evaluation inputs come from: in the message (local IPC) or a file on the device. */
export type InputSource =
  | { kind: 'inline'; offset: number; count: number; dims: number[]; data: Float32Array }
  | { kind: 'file'; path: string; batches: EvalBatchRef[] }

/**
 * An early-exit model cut into a chain of segments (main/early-exit/graph.ts): segment k computes
 * exit k (the last one the final output) and the tensors later segments read. Feeds of a segment
 * come from the model input or from earlier segments' outputs, by name. `cascade` is the same
 * segments joined by the rule's If nodes (main/early-exit/cascade.ts): the model that is timed.
 */
export interface ChainSpec {
  segments: { path: string; inputs: string[]; outputs: string[] }[]
  /** Output names of the exits, in order; exit k is an output of segment k. */
  exits: string[]
  /** The final classifier output: an output of the last segment. */
  final: string
  /** Path of the cascade model (inputs: the model's and CASCADE.threshold). */
  cascade: string
}

/** What the early-exit op measures (docs/measurement.md § Early exit). */
export interface EarlyExitSpec {
  inputs: Extract<InputSource, { kind: 'file' }>
  rule: ExitRule
  thresholds: number[]
  latency: LatencySpec
  /** Seed of the order the timed loop takes the inputs in (the same for every configuration). */
  seed: number
}

export type SessionRequest =
  | { id: number; op: 'hello' }
  | { id: number; op: 'load'; modelPath: string; session: SessionOptions }
  | { id: number; op: 'bench'; spec: LatencySpec }
  /** `output`: the classifier output when it is not the model's first (a multi-output model). */
  | { id: number; op: 'eval'; inputs: InputSource; output?: string }
  | { id: number; op: 'hash'; paths: string[] }
  | { id: number; op: 'loadChain'; chain: ChainSpec }
  | { id: number; op: 'earlyExit'; spec: EarlyExitSpec }
  | { id: number; op: 'unload' }
  | { id: number; op: 'bye' }

export type SessionOp = SessionRequest['op']

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

export interface LoadChainReply {
  /** Creation time of each segment's session, then of the cascade's, ms. */
  sessionCreateMs: number[]
}

export interface EarlyExitReply {
  /** Samples run through both the unsplit model and the chain. */
  verified: number
  /** Largest |chain − unsplit| per output over those samples (and |cascade − unsplit| where it stopped). */
  maxAbsDiff: Record<string, number>
  /**
   * Timed runs where the cascade stopped elsewhere than the rule says on the chain's outputs
   * (stops() in float64), not counting scores within 1e-6 of the threshold (float32 rounding).
   */
  decisionMismatches: number
  /** Timed samples per configuration: 0 = the unsplit model, 1 + i = thresholds[i]. */
  timedCount: number[]
  /** Per configuration, how many timed samples stopped at each exit (the rest ran to the end). */
  timedExits: number[][]
  /** Inputs the timed loop cycles through. */
  timedInputs: number
  /** Runs were timed through ORT's synchronous native run (sync-session.ts), not session.run. */
  syncRuns: boolean
}

/** Reply payload per op. */
export interface ReplyOf {
  hello: HelloReply
  load: LoadReply
  bench: BenchReply
  eval: EvalReply
  hash: HashReply
  loadChain: LoadChainReply
  earlyExit: EarlyExitReply
  unload: Record<string, never>
  bye: Record<string, never>
}

export type ProgressPhase = 'warmup' | 'latency' | 'profile' | 'accuracy' | 'verify'

export type SessionEvent =
  | { event: 'progress'; id: number; phase: ProgressPhase; done: number; total?: number; elapsedMs: number }
  /** Timed samples (µs); `config` tells an early-exit configuration apart (absent: a benchmark). */
  | { event: 'samples'; id: number; chunkUs: number[]; config?: number }
  /** Scores of one evaluated batch, row-major [count × classes], of the model's first output. */
  | {
      event: 'result'
      id: number
      offset: number
      count: number
      classes: number
      scores: Float32Array
      inferUs: number
    }
  /** Early exit: the chain's scores of one batch, per exit in order, then the final output. */
  | {
      event: 'chainScores'
      id: number
      offset: number
      count: number
      classes: number
      scores: Float32Array[]
    }

export type SessionReply =
  ({ id: number; ok: true } & Record<string, unknown>) | { id: number; ok: false; error: ErrorInfo }

export type SessionMessage = { kind: 'event'; event: SessionEvent } | { kind: 'reply'; reply: SessionReply }

/** Distributive Omit, so a request can be written without its id. */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const EVENTS = new Set<string>(['progress', 'samples', 'result', 'chainScores'])

/**
 * Tells a server's message apart (an event or a reply); anything else (a stray print, a damaged
 * line) gives null. Event payloads are checked where they are used (the score collectors).
 */
export function classifyMessage(v: unknown): SessionMessage | null {
  if (!isObj(v) || !isNum(v.id)) return null
  if (typeof v.event === 'string') {
    if (!EVENTS.has(v.event)) return null
    if (v.event === 'samples' && !(Array.isArray(v.chunkUs) && v.chunkUs.every(isNum))) return null
    if (v.event === 'progress' && !(isNum(v.done) && typeof v.phase === 'string')) return null
    return { kind: 'event', event: v as unknown as SessionEvent }
  }
  if (v.ok === true) return { kind: 'reply', reply: v as SessionReply }
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

/** Float32 payloads as base64 of their little-endian bytes (every board the agent supports is). */
export function encodeFloat32(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')
}

export function decodeFloat32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64')
  const out = new Float32Array(bytes.length >> 2)
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 4))
  return out
}

/** One message as a JSON line; Float32Arrays become `{ "$f32": base64 }`. */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message, (_key, value: unknown) =>
    value instanceof Float32Array ? { $f32: encodeFloat32(value) } : value,
  )}\n`
}

/** Parses one JSON line back (Float32Arrays restored); null when it is not JSON. */
export function decodeLine(line: string): unknown {
  try {
    return JSON.parse(line, (_key, value: unknown) =>
      isObj(value) && typeof value.$f32 === 'string' && Object.keys(value).length === 1
        ? decodeFloat32(value.$f32)
        : value,
    )
  } catch {
    return null
  }
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
