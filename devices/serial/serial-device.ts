/**
 * The `serial` device: a microcontroller board running MLPerf Tiny / EEMBC runner firmware.
 * The firmware carries its model, so prepare() uploads nothing: it identifies the board and checks
 * it still carries the model its record links to. benchmark() is performance mode, evaluate() is
 * accuracy mode (raw uint8 HWC bytes per sample). One port connection is kept open between calls.
 */
import { StudioError, toStudioError } from '../../common/errors.js'
import { imageInputGeometry } from '../../common/image-input.js'
import { makeRng } from '../../common/stats.js'
import type { DeviceInfo, LatencySpec, SessionOptions, TensorInfo } from '../../common/types.js'
import type {
  Batch,
  BenchmarkHooks,
  Deployment,
  Device,
  EvaluateHooks,
  ModelRef,
  Predictions,
  RawLatency,
} from '../device.js'
import { runAccuracy } from './accuracy.js'
import { Board, type BoardIdentity, type Timeouts } from './board.js'
import { REFERENCE_INPUTS, type SerialConfig } from './config.js'
import { runPerformance, type WindowFigures } from './performance.js'

/** Model records of firmware with no studio model linked have a path of this form. */
export const FIRMWARE_PREFIX = 'firmware://'

export const WINDOWS = 5

export interface ModelIo {
  inputs: TensorInfo[]
  outputs: TensorInfo[]
}

export interface SerialDeviceOptions {
  name: string
  config: SerialConfig
  /** Reads a model file's inputs and outputs (main injects its ONNX reader). */
  describeModel?: (path: string) => Promise<ModelIo>
  /** Opens the board another way than its serial port (the fuzz campaign's in-process simulator). */
  open?: (timeouts: Timeouts, signal?: AbortSignal) => Promise<Board>
}

export class SerialDevice implements Device {
  readonly kind = 'serial'
  readonly wantsRawInput = true
  readonly name: string
  private board: Board | null = null
  private opening: Promise<Board> | null = null
  private identity: BoardIdentity | null = null

  constructor(private readonly o: SerialDeviceOptions) {
    this.name = o.name
  }

  get config(): SerialConfig {
    return this.o.config
  }

  private async connect(signal?: AbortSignal): Promise<Board> {
    if (this.board) return this.board
    const c = this.o.config
    const timeouts = { commandMs: c.commandTimeoutMs, bannerMs: c.bannerMs }
    this.opening ??= this.o.open
      ? this.o.open(timeouts, signal)
      : Board.open(
          { path: c.path, baudRate: c.baudRate, dataBits: c.dataBits, parity: c.parity, stopBits: c.stopBits },
          timeouts,
          signal,
        )
    try {
      this.board = await this.opening
      return this.board
    } finally {
      this.opening = null
    }
  }

  /** Runs `fn` on the open board; a lost port is closed so the next call reopens it. */
  private async use<T>(fn: (b: Board) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const board = await this.connect(signal)
    try {
      return await fn(board)
    } catch (e) {
      const err = toStudioError(e)
      if (err.code !== 'DEVICE_ERROR' && err.code !== 'DATASET_MISMATCH') await this.disconnect()
      throw err
    }
  }

  private async disconnect(): Promise<void> {
    const b = this.board
    this.board = null
    this.identity = null
    await b?.close().catch(() => undefined)
  }

  async identify(signal?: AbortSignal): Promise<BoardIdentity> {
    this.identity = await this.use((b) => b.identify(signal), signal)
    return this.identity
  }

  async probe(signal?: AbortSignal): Promise<DeviceInfo> {
    const id = await this.identify(signal)
    const c = this.o.config
    return {
      kind: 'serial',
      name: this.name,
      arch: 'mcu',
      os: 'MLPerf Tiny runner firmware',
      cpuModel: id.name,
      cores: 1,
      ramBytes: 0,
      runtime: 'firmware',
      runtimeVersion: id.profile ?? 'unknown',
      governor: null,
      loadAverage: null,
      temperatureC: null,
      extra: {
        board: id.name,
        modelId: id.modelId,
        profile: id.profile,
        timestampMode: id.timestampMode,
        port: c.path,
        line: `${c.baudRate} ${c.dataBits}${c.parity[0]?.toUpperCase() ?? 'N'}${c.stopBits}`,
        transcript: this.board?.transcript() ?? null,
      },
    }
  }

  async prepare(model: ModelRef, session: SessionOptions, signal?: AbortSignal): Promise<Deployment> {
    const id = this.identity ?? (await this.identify(signal))
    const linked = this.o.config.boardModel
    if (linked !== undefined && id.modelId !== null && id.modelId !== linked) {
      throw new StudioError(
        'DEVICE_ERROR',
        `The board on ${this.o.config.path} now carries model '${id.modelId}', but device '${this.name}' is linked ` +
          `to '${linked}'. Re-add the device ('edgebench device add serial') to link the new firmware.`,
      )
    }
    const io = await this.modelIo(model)
    return {
      deviceName: this.name,
      model,
      sha256: model.sha256 ?? '',
      session,
      inputs: io.inputs,
      outputs: io.outputs,
      sessionCreateMs: 0,
      sessionRssBytes: null,
    }
  }

  /** Inputs/outputs of the linked studio model, else the byte format the config or model id gives. */
  private async modelIo(model: ModelRef): Promise<ModelIo> {
    if (!model.path.startsWith(FIRMWARE_PREFIX) && this.o.describeModel)
      return this.o.describeModel(model.path)
    const c = this.o.config
    const image = c.input ?? REFERENCE_INPUTS[c.boardModel ?? this.identity?.modelId ?? '']?.image
    const inputs: TensorInfo[] = image
      ? [{ name: 'input', dtype: 'unknown', shape: [1, image.height, image.width, image.channels] }]
      : [{ name: 'input', dtype: 'uint8', shape: [1, c.inputBytes ?? 'bytes'] }]
    return { inputs, outputs: [{ name: 'scores', dtype: 'float32', shape: [1, 'classes'] }] }
  }

  /** Bytes of one input: the model's H×W×C, else the config's, else the reference model's. */
  private inputBytes(dep: Deployment): number {
    const input = dep.inputs[0]
    if (input && input.shape.length === 4) {
      const g = imageInputGeometry(input)
      if (g.height !== null && g.width !== null) return g.height * g.width * g.channels
    }
    const c = this.o.config
    const bytes = c.inputBytes ?? REFERENCE_INPUTS[c.boardModel ?? this.identity?.modelId ?? '']?.bytes
    if (bytes === undefined) {
      throw new StudioError(
        'BAD_INPUT',
        `The input size of the model on '${this.name}' is unknown. Link a studio model (--model) or set the input size.`,
      )
    }
    return bytes
  }

  async benchmark(dep: Deployment, spec: LatencySpec, hooks: BenchmarkHooks = {}): Promise<RawLatency> {
    const size = this.inputBytes(dep)
    // Five different inputs (MLPerf Tiny asks for a different input per window); timing of a CNN
    // does not depend on the pixel values, so seeded pseudo-random bytes serve on any board.
    const rng = makeRng(0x5eed)
    const inputs = Array.from({ length: WINDOWS }, () =>
      Uint8Array.from({ length: size }, () => Math.floor(rng() * 256)),
    )
    const c = this.o.config
    const outcome = await this.use(
      (b) =>
        runPerformance(b, {
          inputs,
          windowSeconds: c.windowSeconds,
          warmup: Math.min(spec.warmupRuns, 10),
          commandTimeoutMs: c.commandTimeoutMs,
          lineTimeoutMs: c.lineTimeoutMs,
          ...(hooks.signal ? { signal: hooks.signal } : {}),
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          onWindow: (w: WindowFigures) => hooks.onSamples?.([w.latencyUs]),
        }),
      hooks.signal,
    )
    const throughputs = outcome.windows.map((w) => w.throughput).sort((a, b) => a - b)
    return {
      samplesUs: outcome.windows.map((w) => w.latencyUs),
      firstInferenceUs: outcome.firstInferenceUs,
      sessionCreateMs: 0,
      memory: { peakRssBytes: null, sessionRssBytes: null },
      extra: {
        mode: 'performance',
        windowSeconds: c.windowSeconds,
        windows: outcome.windows,
        inferencesPerWindow: outcome.n,
        probeUsPerInference: outcome.probeUs,
        medianThroughput: throughputs[Math.floor(throughputs.length / 2)] ?? 0,
        memory: 'not available (the firmware does not report it)',
        transcript: this.board?.transcript() ?? null,
      },
    }
  }

  async evaluate(
    dep: Deployment,
    batches: AsyncIterable<Batch>,
    total: number,
    hooks: EvaluateHooks = {},
  ): Promise<Predictions> {
    this.inputBytes(dep)
    return this.use(
      (b) => runAccuracy(b, batches, total, hooks, { commandTimeoutMs: this.o.config.commandTimeoutMs, lineTimeoutMs: this.o.config.lineTimeoutMs }),
      hooks.signal,
    )
  }

  async close(): Promise<void> {
    await this.disconnect()
  }
}
