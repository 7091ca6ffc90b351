/**
 * Result shapes shared by the engine, the CLI (`--json`), the store and the UI.
 * Definitions of every figure: docs/measurement.md.
 */
import type { ChannelOrder, InputDtype, PreprocessSource, ResizeMethod, ResizeMode } from './preprocessing.js'

export type Dim = number | string
export type DType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'string'
  | 'bfloat16'
  | 'unknown'

export interface TensorInfo {
  name: string
  dtype: DType
  shape: Dim[]
}

/** One node of an inspected model. */
export interface LayerInfo {
  name: string
  op: string
  macs: number
  params: number
  /** Shape of the node's first output; `null` when it could not be inferred. */
  outputShape: Dim[] | null
}

/** `edgebench inspect --json`. */
export interface InspectResult {
  params: number
  macs: number
  /** Bytes of all initializers as stored (dtype-aware). */
  weightsBytes: number
  /** Parameter count and bytes per dtype. */
  paramsByDtype: Record<string, { count: number; bytes: number }>
  fileBytes: number
  gzipBytes: number
  sha256: string
  /** Static peak of live activation bytes for batch 1 (liveness walk). */
  peakActivationBytes: number
  opset: number
  inputs: TensorInfo[]
  outputs: TensorInfo[]
  opCounts: Record<string, number>
  layers: LayerInfo[]
  /** How intermediate shapes were found: all static, or with a runtime pass for the rest. */
  shapeSource: 'static' | 'static+runtime'
  /** The model's ONNX metadata_props (key → value), where it has any (preprocessing keys: docs/preprocessing.md). */
  metadata?: Record<string, string>
  /** Outputs a Softmax produces: they hold probabilities, not logits (top-1 and top-5 read the same). */
  softmaxOutputs?: string[]
}

/** ONNX Runtime session options; every run records the values it used. */
export interface SessionOptions {
  /** intraOpNumThreads; default 1 (an edge core). */
  threads: number
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all'
  executionProvider: string
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  threads: 1,
  graphOptimizationLevel: 'all',
  executionProvider: 'cpu',
}

/** When to stop warming up and measuring (docs/measurement.md § Latency). */
export interface LatencySpec {
  warmupRuns: number
  warmupMs: number
  minRuns: number
  minMs: number
  maxMs: number
  /** Collect ORT's per-node profile in a separate pass after the timed samples. */
  profile: boolean
}

export const DEFAULT_LATENCY_SPEC: LatencySpec = {
  warmupRuns: 10,
  warmupMs: 500,
  minRuns: 200,
  minMs: 2000,
  maxMs: 60000,
  profile: false,
}

export interface LatencyStats {
  p50: number
  p90: number
  p95: number
  p99: number
  mean: number
  min: number
  max: number
  std: number
  /** Coefficient of variation (std / mean), a fraction. */
  cv: number
  /** Bootstrap 95 % confidence interval of the median. */
  ci95: [number, number]
  count: number
  /** Number of samples flagged by the modified z-score (> 3.5); flagged, never dropped. */
  outliers: number
}

export interface MemoryResult {
  /** Peak RSS of the runner minus its peak before the session was created; null if unknown. */
  peakRssBytes: number | null
  /** RSS growth caused by creating the session. */
  sessionRssBytes: number | null
}

export interface NodeProfile {
  name: string
  op: string
  /** Median time of this node per inference, microseconds. */
  us: number
}

export interface DeviceInfo {
  kind: 'local' | 'ssh' | 'serial'
  name: string
  arch: string
  os: string
  cpuModel: string
  cores: number
  ramBytes: number
  runtime: string
  runtimeVersion: string
  governor: string | null
  loadAverage: number[] | null
  temperatureC: number | null
  hostname?: string
  nodeVersion?: string
  /** Device-kind specific extras (serial: board name, model id, transcript summary). */
  extra?: Record<string, unknown>
}

export type Warning = string

/** `edgebench bench --json`, per model. */
export interface BenchResult {
  model: string
  latencyUs: LatencyStats
  firstInferenceUs: number
  sessionCreateMs: number
  memory: MemoryResult
  warnings: Warning[]
  env: DeviceInfo
  session: SessionOptions
  spec: LatencySpec
  profile?: NodeProfile[]
  runId?: number
}

/** Preprocessing from raw uint8 pixels to the model's input tensor. */
export interface PreprocessSpec {
  layout: 'NCHW' | 'NHWC'
  channels: 1 | 3
  height: number
  width: number
  /** x = (pixel * scale - mean[c]) / std[c] */
  scale: number
  mean: number[]
  std: number[]
  /** Source RGB pixels in this order ('bgr' swaps R and B); default rgb for 3 channels, gray for 1. */
  channelOrder?: ChannelOrder
  /** How an image of another size is brought to height × width; default bilinear stretch. */
  resize?: ResizeMethod
  resizeMode?: ResizeMode
  /** The tensor type fed: float32, or uint8 raw bytes for models that take them; default float32. */
  dtype?: InputDtype
  /** Where these values came from (model card, ONNX metadata, set by hand, a per-run override…). */
  source?: PreprocessSource
}

/** `edgebench eval --json`. */
export interface EvalResult {
  model: string
  dataset: string
  split: string
  top1: number
  top5: number
  count: number
  perClass: { class: string; count: number; top1: number }[]
  confusion: number[][]
  preprocessing: PreprocessSpec
  /** Samples per second through the whole pipeline. */
  throughput?: number
  agreement?: { reference: string; top1Agreement: number; meanCosine: number }
  /** Set when the run stopped early: the figures cover `count` of this many samples. */
  partialOf?: number
  /** The model output the scores were read from (when the model has several). */
  output?: string
  /**
   * How dataset classes met the model's outputs: 'index' (class i is output i) or 'name' (by the
   * model's label file; `outputs[i]` is the output index of dataset class i).
   */
  labelMatch?: { by: 'index' } | { by: 'name'; outputs: number[] }
  /** What makes the figure doubtful, e.g. accuracy within 2× of chance (stored with the run). */
  warnings?: Warning[]
  runId?: number
}

export type RunStatus = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted'
export type RunKind = 'bench' | 'eval'

export interface RunRecord {
  id: number
  kind: RunKind
  modelId: number
  modelName: string
  deviceName: string
  status: RunStatus
  spec: Record<string, unknown>
  env: DeviceInfo | null
  error: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  result: BenchResult | EvalResult | null
}

/** Progress of a long task; emitted at most 10 times a second. */
export interface Progress {
  phase: 'prepare' | 'warmup' | 'latency' | 'profile' | 'accuracy' | 'calibrate' | 'derive' | 'done'
  done: number
  total: number
  /** Fraction 0..1 of the whole task. */
  fraction: number
  message?: string
}
