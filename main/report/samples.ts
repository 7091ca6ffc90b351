/** The latency samples results.json carries for `edgebench check` (see ReportDocument). */
import type { Store } from '../store/store.js'
import type { ReportRow } from './rows.js'

/**
 * Above this many samples a run's are thinned to every k-th (in measured order): the file stays
 * small, and the bootstrap CI of the median computed from fewer samples is only wider — a check
 * against it can miss a slowdown under the noise, never invent one.
 */
export const MAX_SAMPLES_PER_RUN = 20_000

/** Samples of every row's benchmark, rounded to 0.01 µs, by bench run id. */
export function latencySamplesFor(store: Pick<Store, 'getSamples'>, rows: readonly ReportRow[]): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const row of rows) {
    const id = row.benchRunId
    if (id === undefined || String(id) in out) continue
    const all = store.getSamples(id)
    if (all.length === 0) continue
    const step = Math.ceil(all.length / MAX_SAMPLES_PER_RUN)
    const kept: number[] = []
    for (let i = 0; i < all.length; i += step) kept.push(Math.round((all[i] as number) * 100) / 100)
    out[String(id)] = kept
  }
  return out
}
