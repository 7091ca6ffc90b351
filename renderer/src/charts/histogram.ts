import { quantileSorted } from '../../../common/stats.js'

/** Equal-width bins for a latency histogram. Pure. */
export interface Histogram {
  /** Lower edge of the first bin and the bin width, µs. */
  min: number
  width: number
  counts: number[]
  /**
   * Samples above the drawn range (a far tail would squash every other bin into one bar); they
   * are counted in the last bin, which then starts at `overflowFrom`.
   */
  overflow: number
  overflowFrom: number | null
}

export function histogram(samples: readonly number[], bins = 40): Histogram {
  if (samples.length === 0) return { min: 0, width: 1, counts: [], overflow: 0, overflowFrom: null }
  const sorted = Float64Array.from(samples).sort()
  const min = sorted[0] ?? 0
  const max = sorted[sorted.length - 1] ?? 0
  const p99 = quantileSorted(sorted, 0.99)
  // Clip a long tail: draw up to p99 (plus a margin), count the rest in an overflow bar.
  const clipAt = max > min + 2 * (p99 - min) && sorted.length >= 50 ? p99 + (p99 - min) * 0.1 : max
  const n = Math.max(1, Math.min(bins, Math.ceil(Math.sqrt(samples.length)) * 2))
  const width = clipAt > min ? (clipAt - min) / n : Math.max(1, min * 0.01)
  const counts = new Array<number>(clipAt < max ? n + 1 : n).fill(0)
  let overflow = 0
  for (const s of samples) {
    if (s > clipAt) {
      overflow++
      counts[n] = (counts[n] ?? 0) + 1
      continue
    }
    const i = Math.min(n - 1, Math.floor((s - min) / width))
    counts[i] = (counts[i] ?? 0) + 1
  }
  return { min, width, counts, overflow, overflowFrom: clipAt < max ? clipAt : null }
}
