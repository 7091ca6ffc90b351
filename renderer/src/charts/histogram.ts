/** Equal-width bins for a latency histogram. Pure. */
export interface Histogram {
  /** Lower edge of the first bin and the bin width, µs. */
  min: number
  width: number
  counts: number[]
}

export function histogram(samples: readonly number[], bins = 40): Histogram {
  if (samples.length === 0) return { min: 0, width: 1, counts: [] }
  let min = Infinity
  let max = -Infinity
  for (const s of samples) {
    if (s < min) min = s
    if (s > max) max = s
  }
  const n = Math.max(1, Math.min(bins, Math.ceil(Math.sqrt(samples.length)) * 2))
  const width = max > min ? (max - min) / n : Math.max(1, min * 0.01)
  const counts = new Array<number>(n).fill(0)
  for (const s of samples) {
    const i = Math.min(n - 1, Math.floor((s - min) / width))
    counts[i] = (counts[i] ?? 0) + 1
  }
  return { min, width, counts }
}

/** The q-quantile (0..1) by linear interpolation of the sorted samples. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const a = sorted[lo] ?? 0
  const b = sorted[Math.min(sorted.length - 1, lo + 1)] ?? a
  return a + (b - a) * (pos - lo)
}
