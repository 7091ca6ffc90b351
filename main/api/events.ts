/**
 * The events main pushes to every UI: the orchestrator's run events (already throttled to ≤ 10/s
 * per run) passed on, and each device's status derived from them and from probes.
 */
import type { ApiEventMessage, ApiEventName, ApiEvents, DeviceStatus } from '../../common/api.js'
import type { Progress, RunRecord, RunStatus } from '../../common/types.js'
import type { Studio } from '../studio.js'

export type EventListener = (message: ApiEventMessage) => void

export interface EventHub {
  subscribe(listener: EventListener): () => void
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void
  /** The device's status now; a local device is online from the start, others unknown until probed. */
  statusOf(name: string, kind: string): DeviceStatus
  setDeviceStatus(name: string, status: DeviceStatus): void
  dispose(): void
}

export function createEventHub(studio: Studio, now: () => Date): EventHub {
  const startedAt = now().toISOString()
  const listeners = new Set<EventListener>()
  const deviceStatus = new Map<string, DeviceStatus>()

  const emit = <E extends ApiEventName>(event: E, payload: ApiEvents[E]): void => {
    const message = { event, payload } as ApiEventMessage
    for (const l of listeners) {
      try {
        l(message)
      } catch {
        // One broken subscriber (a closed socket) must not starve the others.
      }
    }
  }
  const setDeviceStatus = (name: string, status: DeviceStatus): void => {
    deviceStatus.set(name, status)
    emit('device:status', { name, status })
  }

  const onProgress = (runId: number, progress: Progress): void => emit('run:progress', { runId, progress })
  const onSamples = (runId: number, offset: number, samples: number[]): void => emit('run:samples', { runId, offset, samples })
  const onStatus = (runId: number, status: RunStatus): void => {
    emit('run:status', { runId, status })
    if (status !== 'running') return
    const deviceName =
      studio.runs.active().find((j) => j.id === runId)?.deviceName ?? studio.store.getRun(runId)?.deviceName
    if (deviceName) setDeviceStatus(deviceName, { state: 'busy', runId })
  }
  const onFinished = (run: RunRecord): void => {
    const current = deviceStatus.get(run.deviceName)
    if (current?.state === 'busy' && current.runId === run.id) {
      const unreachable = run.status === 'interrupted' && (run.error ?? '').startsWith('DEVICE_UNREACHABLE')
      setDeviceStatus(run.deviceName, unreachable ? { state: 'offline' } : { state: 'online', since: now().toISOString() })
    }
    emit('run:finished', { run })
  }
  studio.runs.on('progress', onProgress)
  studio.runs.on('samples', onSamples)
  studio.runs.on('status', onStatus)
  studio.runs.on('finished', onFinished)

  return {
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    emit,
    statusOf: (name, kind) =>
      deviceStatus.get(name) ?? (kind === 'local' ? { state: 'online', since: startedAt } : { state: 'unknown' }),
    setDeviceStatus,
    dispose() {
      listeners.clear()
      studio.runs.off('progress', onProgress)
      studio.runs.off('samples', onSamples)
      studio.runs.off('status', onStatus)
      studio.runs.off('finished', onFinished)
    },
  }
}
