/**
 * The run orchestrator: one queue per device (one run at a time on a device, devices in
 * parallel), progress events at most 10 per second, AbortSignal cancel, and every result written to
 * the store as it arrives, so a crash or a cancel loses nothing already measured.
 */
import { EventEmitter } from 'node:events'
import { StudioError, toStudioError } from '../../common/errors.js'
import type { BenchResult, EvalResult, Progress, RunRecord, RunStatus } from '../../common/types.js'
import type { Logger } from '../log.js'
import type { Store } from '../store/store.js'
import { throttle } from './throttle.js'
import type { RunContext, RunSpec } from './run-spec.js'
import { executeRun } from './execute.js'
import type { DeviceRegistry } from './device-registry.js'

export interface OrchestratorEvents {
  progress: [runId: number, progress: Progress]
  /** Latency samples `offset`, `offset + 1`, … as stored, batched to ≤ 10 a second. */
  samples: [runId: number, offset: number, samples: number[]]
  status: [runId: number, status: RunStatus]
  finished: [run: RunRecord]
}

interface Job {
  id: number
  spec: RunSpec
  controller: AbortController
  done: Promise<RunRecord>
}

export class Orchestrator extends EventEmitter<OrchestratorEvents> {
  private readonly jobs = new Map<number, Job>()
  /** Tail of each device's queue: the next run on a device starts when this settles. */
  private readonly tails = new Map<string, Promise<unknown>>()

  constructor(
    private readonly store: Store,
    private readonly devices: DeviceRegistry,
    private readonly logger: Logger,
  ) {
    super()
  }

  /** Queues a run and returns its id at once; `wait(id)` resolves when it ends. */
  enqueue(spec: RunSpec): number {
    const device = this.store.getDevice(spec.deviceName)
    if (!device)
      throw new StudioError('NOT_FOUND', `No device named '${spec.deviceName}'. See 'edgebench device list'.`)
    const id = this.store.createRun({
      kind: spec.kind,
      modelId: spec.modelId,
      deviceId: device.id,
      spec: spec as unknown as Record<string, unknown>,
    })
    const controller = new AbortController()
    const previous = this.tails.get(spec.deviceName) ?? Promise.resolve()
    const done = previous.then(() => this.run(id, spec, controller.signal))
    this.tails.set(
      spec.deviceName,
      done.catch(() => undefined),
    )
    this.jobs.set(id, { id, spec, controller, done })
    void done.finally(() => this.jobs.delete(id))
    return id
  }

  /**
   * Runs `work` in a device's queue: after the runs queued there before it, and before those
   * queued after, so nothing else disturbs it (an early-exit measurement times the device too).
   */
  exclusive<T>(deviceName: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(deviceName) ?? Promise.resolve()
    const done = previous.then(work)
    this.tails.set(
      deviceName,
      done.catch(() => undefined),
    )
    return done
  }

  /** Cancels a queued or running run; what it measured so far stays stored. */
  cancel(runId: number): boolean {
    const job = this.jobs.get(runId)
    if (!job) return false
    job.controller.abort(new StudioError('CANCELLED', 'Cancelled by the user.'))
    return true
  }

  cancelAll(): void {
    for (const id of this.jobs.keys()) this.cancel(id)
  }

  async wait(runId: number): Promise<RunRecord> {
    const job = this.jobs.get(runId)
    if (job) return job.done
    const run = this.store.getRun(runId)
    if (!run) throw new StudioError('NOT_FOUND', `No run with id ${runId}.`)
    return run
  }

  /** Ids of runs queued or running, per device. */
  active(): { id: number; deviceName: string }[] {
    return [...this.jobs.values()].map((j) => ({ id: j.id, deviceName: j.spec.deviceName }))
  }

  private async run(id: number, spec: RunSpec, signal: AbortSignal): Promise<RunRecord> {
    const progress = throttle<Progress>((p) => this.emit('progress', id, p))
    // Chunks pile into one batch between deliveries; the throttle hands the batch on and a new one starts.
    let batch: { offset: number; samples: number[] } | null = null
    const samples = throttle<{ offset: number; samples: number[] }>((b) => {
      batch = null
      this.emit('samples', id, b.offset, b.samples)
    })
    const onSamples = (offset: number, chunk: readonly number[]): void => {
      if (batch && batch.offset + batch.samples.length === offset) batch.samples.push(...chunk)
      else {
        if (batch) samples.flush()
        batch = { offset, samples: [...chunk] }
      }
      samples.push(batch)
    }
    let partial: BenchResult | EvalResult | undefined
    const ctx: RunContext = {
      runId: id,
      store: this.store,
      devices: this.devices,
      logger: this.logger,
      signal,
      onProgress: (p) => progress.push(p),
      onSamples,
      setPartial: (r) => {
        partial = r
      },
    }
    try {
      if (signal.aborted) throw new StudioError('CANCELLED', 'Cancelled before it started.')
      this.emit('status', id, 'running')
      const result = await executeRun(spec, ctx)
      samples.flush()
      progress.push({ phase: 'done', done: 1, total: 1, fraction: 1 })
      progress.flush()
      this.store.finishRun(id, result)
      this.emit('status', id, 'finished')
    } catch (e) {
      samples.flush()
      progress.flush()
      const err = signal.aborted ? toStudioError(signal.reason) : toStudioError(e)
      const status: RunStatus =
        err.code === 'CANCELLED'
          ? 'cancelled'
          : err.code === 'INTERRUPTED' || err.code === 'DEVICE_UNREACHABLE'
            ? 'interrupted'
            : 'failed'
      this.logger.info(`run ${id} ${status}: ${err.message}`)
      try {
        this.store.endRun(id, status, `${err.code}: ${err.message}`, partial)
      } catch (storeErr) {
        // The run already ended (e.g. a listener threw after finishRun): keep what is stored.
        this.logger.warn(`run ${id}: ${toStudioError(storeErr).message}`)
      }
      this.emit('status', id, status)
    }
    const record = this.store.getRun(id)
    if (!record) throw new StudioError('STORE_ERROR', `Run ${id} vanished from the store.`)
    this.emit('finished', record)
    return record
  }
}
