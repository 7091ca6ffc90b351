import { defineStore } from 'pinia'
import { shallowRef, triggerRef } from 'vue'
import { onEvent, request } from '../api/index.js'

interface Followed {
  samples: number[]
  /** Until the stored samples arrive, pushed batches wait here. */
  loading: boolean
  pending: { offset: number; samples: number[] }[]
}

/**
 * Latency samples of running benchmarks, pushed by the engine ('run:samples'): the stored samples
 * are read once when a view starts following a run, then every batch is appended — no polling.
 */
export const useLiveSamplesStore = defineStore('liveSamples', () => {
  const followed = shallowRef(new Map<number, Followed>())
  let off: (() => void) | null = null

  function append(f: Followed, offset: number, batch: readonly number[]): boolean {
    if (offset > f.samples.length) return false // a gap: batches were missed
    const fresh = batch.slice(f.samples.length - offset)
    if (fresh.length > 0) f.samples = [...f.samples, ...fresh]
    return true
  }

  async function reload(runId: number, f: Followed): Promise<void> {
    f.loading = true
    try {
      f.samples = await request('runs:samples', { runId })
    } catch {
      // The run may have ended and been deleted; what was shown stays.
    }
    f.loading = false
    const pending = f.pending.splice(0)
    let gap = false
    for (const b of pending) gap = !append(f, b.offset, b.samples) || gap
    triggerRef(followed)
    if (gap) void reload(runId, f)
  }

  function onBatch(runId: number, offset: number, samples: number[]): void {
    const f = followed.value.get(runId)
    if (!f) return
    if (f.loading) {
      f.pending.push({ offset, samples })
      return
    }
    if (!append(f, offset, samples)) void reload(runId, f)
    triggerRef(followed)
  }

  /** Starts following a run's samples; returns the function that stops. */
  function follow(runId: number): () => void {
    off ??= onEvent('run:samples', ({ runId: id, offset, samples }) => onBatch(id, offset, samples))
    if (!followed.value.has(runId)) {
      const f: Followed = { samples: [], loading: true, pending: [] }
      followed.value.set(runId, f)
      void reload(runId, f)
    }
    return () => {
      followed.value.delete(runId)
      triggerRef(followed)
      if (followed.value.size === 0 && off) {
        off()
        off = null
      }
    }
  }

  function samplesOf(runId: number): readonly number[] {
    return followed.value.get(runId)?.samples ?? []
  }

  return { follow, samplesOf }
})
