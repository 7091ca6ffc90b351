/**
 * The one interface every device kind implements (local, ssh, serial). See docs/architecture.md.
 * Measurement rules: docs/measurement.md. All long work reports progress and honours an AbortSignal.
 */
import type {
  DeviceInfo,
  LatencySpec,
  MemoryResult,
  NodeProfile,
  Progress,
  SessionOptions,
  TensorInfo,
} from '../common/types.js'
import type { EarlyExitProgress, RawEarlyExit } from './session/early-exit-client.js'
import type { BenchReply, ChainSpec, EarlyExitSpec, LoadReply } from './session/protocol.js'

export type { EarlyExitProgress, RawEarlyExit } from './session/early-exit-client.js'
export type { ChainSpec } from './session/protocol.js'
/** How an early-exit measurement decides and times (the inputs come as batches). */
export type EarlyExitOptions = Omit<EarlyExitSpec, 'inputs'>

/** A model file to deploy. */
export interface ModelRef {
  name: string
  path: string
  /** SHA-256 of the file, when already known (content-addressed deploys). */
  sha256?: string
}

/** A model made ready on a device: uploaded, verified and loaded into a session. */
export interface Deployment {
  deviceName: string
  model: ModelRef
  sha256: string
  session: SessionOptions
  inputs: TensorInfo[]
  outputs: TensorInfo[]
  /** Session creation time on the device, milliseconds. */
  sessionCreateMs: number
  /** RSS growth from creating the session, where measurable. */
  sessionRssBytes: number | null
}

/** The Deployment of `model` (hashed `sha256`) loaded into a session on `deviceName`. */
export function deploymentOf(
  deviceName: string,
  model: ModelRef,
  sha256: string,
  session: SessionOptions,
  loaded: LoadReply,
): Deployment {
  return {
    deviceName,
    model: { ...model, sha256 },
    sha256,
    session: { ...session },
    inputs: loaded.inputs,
    outputs: loaded.outputs,
    sessionCreateMs: loaded.sessionCreateMs,
    sessionRssBytes: loaded.sessionRssBytes,
  }
}

/** Raw latency measurement; statistics are computed by the caller from the samples. */
export interface RawLatency {
  /** Every timed sample, microseconds, in order. */
  samplesUs: number[]
  firstInferenceUs: number
  sessionCreateMs: number
  memory: MemoryResult
  profile?: NodeProfile[]
  /** Device-kind figures for the result's env.extra (serial: per-window N, elapsed, throughput). */
  extra?: Record<string, unknown>
}

/** The RawLatency of a finished session benchmark, after reporting its 'done' progress. */
export function rawLatencyOf(
  samplesUs: number[],
  done: Omit<BenchReply, 'sampleCount'>,
  sessionRssBytes: number | null,
  hooks: BenchmarkHooks,
): RawLatency {
  hooks.onProgress?.({ phase: 'done', done: samplesUs.length, total: samplesUs.length, fraction: 1 })
  return {
    samplesUs,
    firstInferenceUs: done.firstInferenceUs,
    sessionCreateMs: done.sessionCreateMs,
    memory: { peakRssBytes: done.memory.peakRssBytes, sessionRssBytes },
    ...(done.profile ? { profile: done.profile } : {}),
  }
}

/** A batch of preprocessed inputs for evaluation: `count` samples laid out as the model input. */
export interface Batch {
  /** Index of the first sample of the batch in the dataset. */
  offset: number
  count: number
  /** Model input tensor data, shape [count, ...inputShape without batch]. */
  data: Float32Array
  /** Shape of the batch tensor, e.g. [count, 1, 28, 28]. */
  dims: number[]
  /**
   * The raw uint8 HWC bytes of each sample at the preprocessing's height × width × channels,
   * present when the device declares `wantsRawInput` (serial boards take raw bytes, MLPerf Tiny
   * convention, and preprocess on the board). Padding samples are zeros.
   */
  raw?: Uint8Array[]
}

/** Outputs of an evaluation, one row of `classes` scores per sample, in dataset order. */
export interface Predictions {
  count: number
  classes: number
  /** Row-major [count × classes] scores of the classifier output (EvaluateHooks.output, else the first). */
  scores: Float32Array
  /** Wall-clock seconds spent in the device's inference calls, for throughput figures. */
  inferSeconds: number
}

export type ProgressCallback = (p: Progress) => void

export interface BenchmarkHooks {
  onProgress?: ProgressCallback
  /** Called with successive chunks of samples while the run goes, so they can be persisted. */
  onSamples?: (chunkUs: number[]) => void
  signal?: AbortSignal
}

export interface EvaluateHooks {
  onProgress?: ProgressCallback
  signal?: AbortSignal
  /**
   * Scores of samples [offset, offset + scores.length / classes) as soon as the device has them,
   * so they can be persisted while the evaluation goes (a disconnect keeps what arrived).
   */
  onScores?: (offset: number, scores: Float32Array, classes: number) => void
  /** The model output holding the class scores, when it is not the first (a multi-output model). */
  output?: string
}

export interface Device {
  readonly kind: 'local' | 'ssh' | 'serial'
  readonly name: string
  /** The device wants `Batch.raw` (uint8 HWC bytes) besides the float tensor. */
  readonly wantsRawInput?: boolean
  probe(signal?: AbortSignal): Promise<DeviceInfo>
  prepare(model: ModelRef, session: SessionOptions, signal?: AbortSignal): Promise<Deployment>
  benchmark(dep: Deployment, spec: LatencySpec, hooks?: BenchmarkHooks): Promise<RawLatency>
  evaluate(
    dep: Deployment,
    batches: AsyncIterable<Batch>,
    total: number,
    hooks?: EvaluateHooks,
  ): Promise<Predictions>
  /**
   * Early exit with real control flow (docs/measurement.md § Early exit): `chain` (segment files on
   * this computer) runs on the device against the deployed model on every input, then every
   * threshold is timed. Devices that run their own firmware (serial boards) do not have it.
   */
  earlyExit?(
    dep: Deployment,
    chain: ChainSpec,
    batches: AsyncIterable<Batch>,
    total: number,
    opts: EarlyExitOptions,
    hooks?: EarlyExitProgress,
  ): Promise<RawEarlyExit>
  close(): Promise<void>
}
