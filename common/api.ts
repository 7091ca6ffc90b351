/**
 * The one API contract between the engine (main) and every UI host: the Electron IPC handlers, the
 * browser-mode HTTP/WebSocket server, the preload bridge and the renderer are all typed from the
 * two maps below. Payloads are validated at the boundary with the zod schemas in api-schemas.ts;
 * results travel as {@link ApiResult} so nothing is ever thrown across IPC or HTTP.
 *
 * Types only (plus a few constant lists); no Node, no DOM.
 */
import type { ErrorInfo } from './errors.js'
import type { RunSummary } from './run-summary.js'
import type { CompareRequest, RunComparison } from './api-compare.js'
import type {
  DeviceInfo,
  InspectResult,
  LatencySpec,
  Progress,
  RunKind,
  RunRecord,
  RunStatus,
  SessionOptions,
  TensorInfo,
} from './types.js'
import type { ModelPreprocessing, PreprocessingRequest } from './preprocessing.js'

import type {
  AddSerialRequest,
  AddSerialResult,
  AddSshDeviceRequest,
  AddSshDeviceResult,
  PortListing,
} from './api-boards.js'
import { EARLY_EXIT_CHANNELS, type EarlyExitRequests } from './api-early-exit.js'
import { JOB_CHANNELS, type JobEvents, type JobRequests } from './api-jobs.js'
import { RECOMMEND_CHANNELS, type RecommendRequests } from './api-recommend.js'

export * from './api-boards.js'
export * from './api-compare.js'
export * from './api-early-exit.js'
export * from './api-jobs.js'
export * from './api-recommend.js'
export * from './api-transport.js'

/** What every request answers: a value, or an error with a code and a message a user can act on. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo }

// ---- shapes the contract carries -----------------------------------------------------------

/** Which host runs the UI; dialogs ('models:openDialog', 'reports:saveDialog') exist only in 'desktop'. */
export type HostMode = 'desktop' | 'browser'

export interface AppInfo {
  name: string
  version: string
  mode: HostMode
  /** The database file the studio works on (shown in the top bar). */
  dbPath: string
  /** process.platform of the engine side ('linux', 'darwin', 'win32'). */
  platform: string
  /** The installed onnxruntime-node version (the About box). */
  onnxRuntime: string
}

/** How a variant was derived from its parent. */
export interface VariantRecipeInfo {
  method: string
  params: Record<string, unknown>
}

/** One stored model or variant, without its (large) inspection; see 'models:inspect'. */
export interface ModelInfo {
  id: number
  name: string
  path: string
  sha256: string
  family: string | null
  /** 'fp32' | 'fp16' | 'int8' | 'pruned' | … */
  kind: string
  parentId: number | null
  recipe: VariantRecipeInfo | null
  /** The zoo model card (paper, training, reference top-1, preprocessing), when there is one. */
  card: Record<string, unknown> | null
  createdAt: string
  /** Headline figures from the cached inspection (else the card); null until known. */
  params: number | null
  macs: number | null
  fileBytes: number | null
  /** How it is fed: preprocessing (with its source), labels, dataset. Always set by this engine. */
  preprocessing?: ModelPreprocessing
  /** Its input and output tensors (from the inspection), for the preprocessing editor. */
  inputs?: TensorInfo[]
  outputs?: TensorInfo[]
  /** Outputs a Softmax produces (probabilities rather than logits). */
  softmaxOutputs?: string[]
}

/**
 * What the studio knows about a device right now. `busy` while one of its runs executes;
 * `error` after a failed probe (the message says what to do).
 */
export type DeviceStatus =
  | { state: 'unknown' }
  | { state: 'online'; since: string }
  | { state: 'busy'; runId: number }
  | { state: 'offline' }
  | { state: 'error'; error: ErrorInfo }

export interface DeviceSummary {
  id: number
  name: string
  kind: DeviceInfo['kind']
  /** Connection settings; never secrets. */
  config: Record<string, unknown>
  /** The last probe, or null before the first. */
  info: DeviceInfo | null
  status: DeviceStatus
  createdAt: string
  updatedAt: string
}

/** One bundled dataset (resources/datasets/index.json). */
export interface DatasetInfo {
  name: string
  title: string
  format: 'idx' | 'cifar10' | 'imagefolder'
  height: number
  width: number
  channels: 1 | 3
  classes: string[]
  splits: { name: string; count: number }[]
  license?: string
  citation?: string
}

export type { RunSummary } from './run-summary.js'

export interface ImportExtras {
  /** The text of a sidecar model card (`<model>.json`, the zoo's format) imported alongside. */
  cardJson?: string
  preprocessing?: PreprocessingRequest
}

export interface ImportBytesRequest extends ImportExtras {
  fileName: string
  dataBase64: string
}

export interface StartRunRequest {
  kind: RunKind
  modelId: number
  deviceName: string
  /** Missing fields take DEFAULT_SESSION_OPTIONS. */
  session?: Partial<SessionOptions>
  /** Bench runs; missing fields take DEFAULT_LATENCY_SPEC. */
  latency?: Partial<LatencySpec>
  /** Eval runs: dataset name (e.g. 'fashion-mnist') or path; default: the model card's dataset. */
  dataset?: string
  split?: string
  /** Evaluate at most this many samples. */
  limit?: number
}

/**
 * One (model, device) pair on the Explore chart: its newest finished bench joined with its newest
 * finished eval. Absent figures were not measured and are null, never zero.
 */
export interface ExplorePoint {
  /** `${modelId}:${device}`; stable across refreshes. */
  key: string
  modelId: number
  model: string
  family: string | null
  /** Variant kind: fp32, fp16, int8, pruned, … */
  variant: string
  device: string
  latencyP50Us: number | null
  latencyP90Us: number | null
  /** Coefficient of variation of the latency samples, a fraction. */
  cv: number | null
  peakRssBytes: number | null
  fileBytes: number | null
  macs: number | null
  params: number | null
  top1: number | null
  top5: number | null
  /** Lineage: the parent model and its point on this device (`${parentId}:${device}`), null for an original. */
  parentModelId: number | null
  parentKey: string | null
  /** top-1 minus the parent's (same device, else any device), a fraction; null without both. */
  top1Delta: number | null
  /** How the variant was made: method ('int8-static', …) and one line ("INT8 static · minmax · …"). */
  method: string | null
  recipe: string | null
  /** Dataset name ('fashion-mnist') and split ('test') of the accuracy figure. */
  dataset: string | null
  split: string | null
  /** Samples the accuracy was computed over. */
  count: number | null
  /** How the accuracy's samples were made ("[0, 1] · NCHW · default: nobody set it"); null without one. */
  preprocessing?: string | null
  benchRunId: number | null
  evalRunId: number | null
}

/** Report formats: a self-contained page, its PDF, paper tables (Markdown, LaTeX booktabs), data. */
export const REPORT_FORMATS = ['html', 'pdf', 'md', 'tex', 'csv', 'json'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export interface ReportFile {
  fileName: string
  mimeType: string
  /** The file's text, or its bytes in base64 when `encoding` says so (PDF). */
  content: string
  encoding: 'utf8' | 'base64'
}

// ---- requests ------------------------------------------------------------------------------

/**
 * Every request channel: `payload` is what the UI sends (validated in api-schemas.ts), `result`
 * the value of a successful {@link ApiResult}. A channel without a payload takes `undefined`.
 */
export interface ApiRequests extends JobRequests, RecommendRequests, EarlyExitRequests {
  /** Name, version, host mode and database of the running studio. */
  'app:info': { payload: undefined; result: AppInfo }
  /** Every stored model and variant, oldest first. */
  'models:list': { payload: undefined; result: ModelInfo[] }
  /**
   * Imports an ONNX file by path on the engine's machine (same bytes → same record), with its
   * figures; `preprocessing` (checked against the model first: refused = nothing stored) is
   * stored with it, else its card's or ONNX metadata's.
   */
  'models:import': { payload: { path: string; preprocessing?: PreprocessingRequest }; result: ModelInfo }
  /**
   * Imports a model whose bytes the UI holds (browser drag-and-drop). The file is kept in the
   * studio's data folder under its SHA-256. At most 256 MiB. `cardJson` is a sidecar model card
   * dropped with it; `preprocessing` as for 'models:import'.
   */
  'models:importBytes': { payload: ImportBytesRequest; result: ModelInfo }
  /**
   * Changes a model's preprocessing, label file or dataset (its variants inherit them). Checked
   * against the model's input and outputs first: a mismatch is BAD_INPUT and nothing changes.
   */
  'models:setPreprocessing': { payload: { modelId: number; request: PreprocessingRequest }; result: ModelInfo }
  /** Full inspection (params, MACs, shapes, layers, peak activations); cached after the first. */
  'models:inspect': { payload: { modelId: number }; result: InspectResult }
  /** Direct variants (children) of a model, oldest first. */
  'models:variants': { payload: { modelId: number }; result: ModelInfo[] }
  /**
   * Records a stored model as a variant of another, made outside the studio as `recipe` says
   * (e.g. pruned and fine-tuned in the user's own training code). Refused when the outputs differ
   * or the parent descends from the model.
   */
  'models:setLineage': { payload: { modelId: number; parentId: number; recipe: string }; result: ModelInfo }
  /** Desktop only: a native Open dialog; imports the chosen files. Empty when cancelled. */
  'models:openDialog': { payload: undefined; result: ModelInfo[] }
  /** Every registered device with its last probe and current status. */
  'devices:list': { payload: undefined; result: DeviceSummary[] }
  /** Probes a device now (arch, CPU, RAM, runtime, governor, temperature). */
  'devices:probe': { payload: { name: string }; result: DeviceInfo }
  /** Serial ports present on the engine's machine, for the "Add serial board" port picker. */
  'ports:list': { payload: undefined; result: PortListing }
  /** Saves a serial board and probes it (name, model id); a failed probe keeps the record. */
  'devices:add-serial': { payload: AddSerialRequest; result: AddSerialResult }

  /** Connects to a Linux board over SSH, checks its host key, probes it and registers it. */
  'devices:addSsh': { payload: AddSshDeviceRequest; result: AddSshDeviceResult }
  /** Forgets a device and its stored secrets; its past runs stay. `local` cannot be removed. */
  'devices:remove': { payload: { name: string }; result: { removed: string } }
  /** The bundled datasets, for eval pickers. */
  'datasets:list': { payload: undefined; result: DatasetInfo[] }
  /**
   * Queues a run and answers at once with its id and list entry (so a UI upserts it instead of
   * reloading the list); progress follows as 'run:*' events.
   */
  'runs:start': { payload: StartRunRequest; result: { runId: number; run: RunSummary } }
  /** Cancels a queued or running run; what it measured stays stored. False if it was not active. */
  'runs:cancel': { payload: { runId: number }; result: { cancelled: boolean } }
  /** Stored runs, newest first. */
  'runs:list': {
    payload: { status?: RunStatus | RunStatus[]; kind?: RunKind; modelId?: number; deviceName?: string; limit?: number } | undefined
    result: RunSummary[]
  }
  /** One run with its full result. */
  'runs:get': { payload: { runId: number }; result: RunRecord }
  /** The run's latency samples (µs) in the order measured. */
  'runs:samples': { payload: { runId: number }; result: number[] }
  /**
   * The selected runs as (model, device) entries judged against the baseline the user picked:
   * latency (ratio of medians, bootstrap CI, 'faster' | 'slower' | 'within noise'), accuracy, size
   * and memory, each with its verdict. Needs two entries.
   */
  'runs:compare': { payload: CompareRequest; result: RunComparison }
  /**
   * One point per (model, device) pair with a finished run, for the Explore chart; with a model id
   * and device name, only that pair's point (what a UI refetches after a run, not every point).
   */
  'explore:points': { payload: { modelId: number; deviceName: string } | undefined; result: ExplorePoint[] }
  /** A report of the given runs (self-contained HTML, PDF, Markdown, LaTeX, CSV or JSON) with a file name. */
  'reports:export': { payload: { runIds: number[]; format: ReportFormat }; result: ReportFile }
  /** Desktop only: exports and writes the report where the user picks. null when cancelled. */
  'reports:saveDialog': { payload: { runIds: number[]; format: ReportFormat }; result: { path: string } | null }
}

export type ApiChannel = keyof ApiRequests
export type ApiPayload<C extends ApiChannel> = ApiRequests[C]['payload']
export type ApiValue<C extends ApiChannel> = ApiRequests[C]['result']

/** Channels only the desktop shell can answer (they open native dialogs). */
export const DESKTOP_ONLY_CHANNELS = ['models:openDialog', 'reports:saveDialog'] as const satisfies readonly ApiChannel[]

/** Every channel, in contract order (the preload and the HTTP router use it as an allow-list). */
export const API_CHANNELS = [
  'app:info',
  'models:list',
  'models:import',
  'models:importBytes',
  'models:setPreprocessing',
  'models:inspect',
  'models:variants',
  'models:setLineage',
  'models:openDialog',
  ...JOB_CHANNELS,
  ...EARLY_EXIT_CHANNELS,
  'devices:list',
  'devices:probe',
  'ports:list',
  'devices:add-serial',
  'devices:addSsh',
  'devices:remove',
  'datasets:list',
  'runs:start',
  'runs:cancel',
  'runs:list',
  'runs:get',
  'runs:samples',
  'runs:compare',
  'explore:points',
  'reports:export',
  'reports:saveDialog',
  ...RECOMMEND_CHANNELS,
] as const satisfies readonly ApiChannel[]

// ---- events --------------------------------------------------------------------------------

/** Everything main pushes to the UI. Progress comes at most 10 times a second per run. */
export interface ApiEvents extends JobEvents {
  'run:progress': { runId: number; progress: Progress }
  'run:status': { runId: number; status: RunStatus }
  /**
   * Latency samples (µs) as the device measures them, batched to ≤ 10 events a second per run:
   * `samples` are the run's samples `offset`, `offset + 1`, …, so a UI that loaded the first
   * `offset` with 'runs:samples' appends without reloading (and notices a gap).
   */
  'run:samples': { runId: number; offset: number; samples: number[] }
  /** A run ended (finished, failed, cancelled or interrupted); `run` is the stored record. */
  'run:finished': { run: RunRecord }
  'device:status': { name: string; status: DeviceStatus }
  /** Desktop only: the application menu asks the page to run one of its own flows. */
  'app:command': { command: AppCommand }
}

/** What the desktop menu can ask of the page (the page owns these flows and their errors). */
export type AppCommand = 'import-model' | 'export-report'

export type ApiEventName = keyof ApiEvents

export const API_EVENTS = ['run:progress', 'run:status', 'run:samples', 'run:finished', 'device:status', 'job:progress', 'job:finished', 'app:command'] as const satisfies readonly ApiEventName[]

/** A pushed event as it travels over the WebSocket (and as the renderer's bridge hands it on). */
export type ApiEventMessage = { [E in ApiEventName]: { event: E; payload: ApiEvents[E] } }[ApiEventName]

/** Arguments of a request: channels whose payload may be undefined can be called without one. */
export type PayloadArgs<C extends ApiChannel> = undefined extends ApiPayload<C>
  ? [payload?: ApiPayload<C>]
  : [payload: ApiPayload<C>]

/**
 * `window.studio`, as the preload exposes it in Electron and the renderer's WebSocket bridge
 * provides it in a browser. The renderer only ever talks to the engine through this.
 */
export interface StudioBridge {
  readonly mode: HostMode
  invoke<C extends ApiChannel>(channel: C, ...args: PayloadArgs<C>): Promise<ApiResult<ApiValue<C>>>
  /**
   * Browser mode: imports a dropped model by streaming its bytes (no base64 copy on either side).
   * Absent in the desktop app, which sends 'models:importBytes'.
   */
  importModelFile?(file: Blob, fileName: string, extras?: ImportExtras): Promise<ApiResult<ModelInfo>>
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void
}
