/**
 * Calibration: activation ranges from running the float model on sample inputs. Statistics are
 * streamed — a running min/max or a fixed-size histogram per tensor, re-binned when the range
 * grows — so memory does not grow with the number of calibration samples.
 *
 * - minmax: the observed range.
 * - percentile: cut (100 − p)/2 % of the mass from each tail of a 2,048-bin histogram (p = 99.999).
 * - entropy: the clipping threshold minimising the KL divergence between the 2,048-bin histogram
 *   of |x| and its 128-level quantization (the TensorRT method ORT's entropy calibrator follows).
 */
import type { Calibrator } from '../../common/compress.js'
import { StudioError } from '../../common/errors.js'
import type { Batch } from '../../devices/device.js'
import { graphOf, type ModelProto } from '../model/proto.js'
import { streamOutputs } from './activations.js'

export { CALIBRATORS, type Calibrator } from '../../common/compress.js'

export interface Range {
  min: number
  max: number
}

const HIST_BINS = 2048
const QUANT_BINS = 128
const PERCENTILE = 99.999

/** A histogram over [lo, hi] that widens (and re-bins what it holds) when new data falls outside. */
export class StreamingHistogram {
  counts = new Float64Array(HIST_BINS)
  lo = 0
  hi = 0
  min = Infinity
  max = -Infinity
  private empty = true

  constructor(private readonly abs: boolean) {}

  add(data: Float32Array): void {
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    if (!(lo <= hi)) return
    this.min = Math.min(this.min, lo)
    this.max = Math.max(this.max, hi)
    const wantLo = this.abs ? 0 : lo
    const wantHi = this.abs ? Math.max(Math.abs(lo), Math.abs(hi)) : hi
    if (this.empty) {
      this.lo = wantLo
      this.hi = wantHi > wantLo ? wantHi : wantLo + 1e-8
      this.empty = false
    } else if (wantLo < this.lo || wantHi > this.hi) {
      this.rebin(Math.min(wantLo, this.lo), Math.max(wantHi, this.hi))
    }
    const scale = HIST_BINS / (this.hi - this.lo)
    const counts = this.counts
    const base = this.lo
    for (let i = 0; i < data.length; i++) {
      const v = this.abs ? Math.abs(data[i] as number) : (data[i] as number)
      // Exact zeros (ReLU's dead half) are exact whatever the range: they would only drown the
      // distribution whose clipping point the entropy method is looking for.
      if (this.abs && v === 0) continue
      let b = Math.floor((v - base) * scale)
      if (b >= HIST_BINS) b = HIST_BINS - 1
      else if (b < 0) b = 0
      counts[b] = (counts[b] as number) + 1
    }
  }

  /** Moves the counts onto a wider range: each old bin lands in the new bin holding its centre. */
  private rebin(lo: number, hi: number): void {
    const old = this.counts
    const oldWidth = (this.hi - this.lo) / HIST_BINS
    const next = new Float64Array(HIST_BINS)
    const scale = HIST_BINS / (hi - lo)
    for (let b = 0; b < HIST_BINS; b++) {
      const c = old[b] as number
      if (c === 0) continue
      const centre = this.lo + (b + 0.5) * oldWidth
      const nb = Math.min(HIST_BINS - 1, Math.max(0, Math.floor((centre - lo) * scale)))
      next[nb] = (next[nb] as number) + c
    }
    this.counts = next
    this.lo = lo
    this.hi = hi
  }

  edge(bin: number): number {
    return this.lo + (bin * (this.hi - this.lo)) / HIST_BINS
  }
}

/** Range keeping `percentile` % of the values: the tails beyond it are cut, half on each side. */
export function percentileRange(h: StreamingHistogram, percentile = PERCENTILE): Range {
  const total = h.counts.reduce((a, b) => a + b, 0)
  const cut = (total * (100 - percentile)) / 200
  let acc = 0
  let left = 0
  while (left < HIST_BINS - 1 && acc + (h.counts[left] as number) <= cut) acc += h.counts[left++] as number
  acc = 0
  let right = HIST_BINS - 1
  while (right > 0 && acc + (h.counts[right] as number) <= cut) acc += h.counts[right--] as number
  return { min: Math.max(h.min, h.edge(left)), max: Math.min(h.max, h.edge(right + 1)) }
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0
  let sq = 0
  for (let i = 0; i < p.length; i++) {
    sp += p[i] as number
    sq += q[i] as number
  }
  if (sp === 0 || sq === 0) return Infinity
  let kl = 0
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / sp
    if (pi === 0) continue
    const qi = (q[i] as number) / sq
    kl += qi === 0 ? pi * 20 : pi * Math.log(pi / qi) // an empty q bin where p has mass: large penalty
  }
  return kl
}

/** The |x| threshold minimising KL(P‖Q) between the clipped histogram and its 128-level version. */
export function entropyThreshold(h: StreamingHistogram): number {
  const counts = h.counts
  let best = HIST_BINS
  let bestKl = Infinity
  for (let i = QUANT_BINS; i <= HIST_BINS; i += 4) {
    const p = Float64Array.from(counts.subarray(0, i))
    let outliers = 0
    for (let j = i; j < HIST_BINS; j++) outliers += counts[j] as number
    p[i - 1] = (p[i - 1] as number) + outliers
    // Q: merge the first i bins into 128 levels, then spread each level over its non-empty bins.
    const q = new Float64Array(i)
    const per = i / QUANT_BINS
    for (let k = 0; k < QUANT_BINS; k++) {
      const start = Math.floor(k * per)
      const end = k === QUANT_BINS - 1 ? i : Math.floor((k + 1) * per)
      let sum = 0
      let nonEmpty = 0
      for (let j = start; j < end; j++) {
        const c = counts[j] as number
        sum += c
        if (c !== 0) nonEmpty += 1
      }
      if (nonEmpty === 0) continue
      for (let j = start; j < end; j++) if ((counts[j] as number) !== 0) q[j] = sum / nonEmpty
    }
    const kl = klDivergence(p, q)
    if (kl < bestKl) {
      bestKl = kl
      best = i
    }
  }
  return h.edge(best)
}

interface Collector {
  add(data: Float32Array): void
  range(): Range
  /** The observed min/max, whatever the calibrator. */
  observed(): Range
}

function makeCollector(calibrator: Calibrator): Collector {
  if (calibrator === 'minmax') {
    let min = Infinity
    let max = -Infinity
    return {
      add(data) {
        for (let i = 0; i < data.length; i++) {
          const v = data[i] as number
          if (v < min) min = v
          if (v > max) max = v
        }
      },
      range: () => ({ min, max }),
      observed: () => ({ min, max }),
    }
  }
  const h = new StreamingHistogram(calibrator === 'entropy')
  return {
    add: (data) => h.add(data),
    observed: () => ({ min: h.min, max: h.max }),
    range() {
      if (calibrator === 'percentile') return percentileRange(h)
      const t = entropyThreshold(h)
      return { min: Math.max(h.min, -t), max: Math.min(h.max, t) }
    },
  }
}

export interface CalibrateOptions {
  signal?: AbortSignal
  onBatch?: (done: number) => void
}

/**
 * Ranges of `tensors` (float activations of `model`) over the calibration batches. Graph outputs
 * always get their observed min/max: clipping what the user reads (logits) is never wanted.
 */
export async function calibrate(
  model: ModelProto,
  tensors: readonly string[],
  batches: AsyncIterable<Batch>,
  calibrator: Calibrator,
  opts: CalibrateOptions = {},
): Promise<Map<string, Range>> {
  const collectors = new Map(tensors.map((t) => [t, makeCollector(calibrator)]))
  const done = await streamOutputs(
    { model, names: tensors },
    batches,
    (_, out) => {
      for (const [name, c] of collectors) {
        const t = out.get(name)
        if (t) c.add(t.data)
      }
    },
    { ...opts, what: 'calibration' },
  )
  if (done === 0) throw new StudioError('BAD_INPUT', 'The calibration set is empty. Choose a dataset with samples.')
  const graph = graphOf(model)
  const outputs = new Set(graph.output.map((o) => o.name))
  return new Map([...collectors].map(([name, c]) => [name, outputs.has(name) ? c.observed() : c.range()]))
}
