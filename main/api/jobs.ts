/**
 * Long compression work (deriving a variant, a sweep) as jobs behind the API: a request answers at
 * once with a job id, progress goes out as 'job:progress' (throttled to ≤ 10/s) and the end as
 * 'job:finished'. Jobs run one at a time — each already saturates the CPU (calibration, ORT
 * sessions), and two at once would only make both slower and double peak memory.
 */
import type { DerivedVariant, FilledRecommendation, JobFinished, JobKind } from '../../common/api.js'
import type { SweepResult } from '../../common/compress.js'
import type { DetectionResult } from '../../common/detect.js'
import type { EarlyExitResult } from '../../common/early-exit.js'
import { StudioError, toStudioError } from '../../common/errors.js'
import type { Progress } from '../../common/types.js'
import { throttle } from '../bench/throttle.js'
import type { Logger } from '../log.js'
import type { EventHub } from './events.js'

export interface JobValues {
  derive: DerivedVariant
  sweep: SweepResult
  fill: FilledRecommendation
  detect: DetectionResult
  'early-exit': EarlyExitResult
}

export type JobWork<K extends JobKind> = (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<JobValues[K]>

export interface JobRunner {
  /** Queues the work and answers its job id at once. */
  start<K extends JobKind>(kind: K, work: JobWork<K>): number
  /** Cancels a queued or running job; false if it is not active. */
  cancel(jobId: number): boolean
  /** Ids of queued and running jobs. */
  active(): number[]
  /** Cancels everything (the handlers are going away). */
  dispose(): void
}

export function createJobRunner(hub: Pick<EventHub, 'emit'>, logger: Logger): JobRunner {
  let nextId = 1
  const controllers = new Map<number, AbortController>()
  // The chain serialises jobs; each link swallows its job's error (reported by event instead).
  let chain: Promise<void> = Promise.resolve()
  let running: number | null = null
  const kinds = new Map<number, JobKind>()

  const finish = (outcome: JobFinished): void => {
    controllers.delete(outcome.jobId)
    kinds.delete(outcome.jobId)
    hub.emit('job:finished', outcome)
  }

  async function execute<K extends JobKind>(jobId: number, kind: K, work: JobWork<K>, controller: AbortController): Promise<void> {
    // Cancelled while it waited: its end was already reported.
    if (!controllers.has(jobId)) return
    running = jobId
    const progress = throttle<Progress>((p) => hub.emit('job:progress', { jobId, kind, progress: p }))
    try {
      if (controller.signal.aborted) throw toStudioError(controller.signal.reason)
      // A phase's last update (e.g. calibration 100 %) is delivered before the next phase's first.
      let phase: Progress['phase'] | null = null
      const value = await work(controller.signal, (p) => {
        if (phase !== null && p.phase !== phase) progress.flush()
        phase = p.phase
        progress.push(p)
      })
      progress.flush()
      // The union member for K; TypeScript cannot pair a generic kind with its value by itself.
      finish({ jobId, kind, ok: true, value } as JobFinished)
    } catch (e) {
      progress.flush()
      const err = controller.signal.aborted ? toStudioError(controller.signal.reason) : toStudioError(e)
      logger.info(`job ${jobId} (${kind}) ${err.code}: ${err.message}`)
      finish({ jobId, kind, ok: false, error: { code: err.code, message: err.message } })
    } finally {
      running = null
    }
  }

  return {
    start(kind, work) {
      const jobId = nextId++
      const controller = new AbortController()
      controllers.set(jobId, controller)
      kinds.set(jobId, kind)
      const waiting = controllers.size > 1
      if (waiting) {
        hub.emit('job:progress', {
          jobId,
          kind,
          progress: { phase: 'prepare', done: 0, total: 1, fraction: 0, message: 'waiting for the compression job before it' },
        })
      }
      chain = chain.then(() => execute(jobId, kind, work, controller))
      return jobId
    },
    cancel(jobId) {
      const c = controllers.get(jobId)
      if (!c) return false
      const reason = new StudioError('CANCELLED', 'Cancelled by the user; variants and runs finished before stay stored.')
      c.abort(reason)
      // A job still waiting ends now; a running one ends when its work notices the signal.
      if (running !== jobId) finish({ jobId, kind: kinds.get(jobId) ?? 'derive', ok: false, error: { code: reason.code, message: reason.message } })
      return true
    },
    active: () => [...controllers.keys()],
    dispose() {
      for (const id of [...controllers.keys()]) this.cancel(id)
    },
  }
}
