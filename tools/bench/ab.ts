/**
 * Interleaved A/B measurement for the tool's own benchmarks (`npm run bench:*`).
 *
 * Why: two things measured one after the other on a shared machine drift apart — another process
 * starts, the CPU warms up, the page cache fills — and the drift lands on whichever went second.
 * `bench:harness` once printed −7.3 % … +17.6 % between a bare loop and the device for the same
 * models in one run, while a bare loop timed before and after agreed within 1.2 %. So every script
 * that compares two things measures them in ROUNDS (A B, B A, A B, … — the order alternates so
 * neither always runs first), takes the ratio B/A within each round (both saw the same machine) and
 * reports the MEDIAN of the per-round ratios with its SPREAD (min–max over the rounds). A pooled
 * median of all A samples against all B samples is never the headline: it mixes rounds.
 *
 * How to adopt it in a bench script:
 *
 *   import { abRounds, formatRatio } from './ab.js'
 *   const r = await abRounds({
 *     rounds: 5,
 *     a: async () => median(await bareLoop()),          // one figure per call, e.g. a median in µs
 *     b: async () => median(await deviceRun()),
 *     onRound: (i, a, b) => log(`round ${i + 1}: ${a} vs ${b}`),
 *   })
 *   out(`device/bare ${formatRatio(r)}`)                 // "1.012× (0.991–1.034, 5 rounds)"
 *   // r.ratio (median of per-round b/a), r.spread [min, max], r.a / r.b (per-round figures),
 *   // r.aMedian / r.bMedian (medians of the per-round figures) for the table.
 *
 * More than two arms (one baseline against several): `interleave()` returns each arm's per-round
 * figures in rotating order; `ratioOf(a, b)` summarises any pair of them. Scripts that already
 * hold per-round pairs (e.g. scp and deploy timed in the same round) call `ratioOf` directly.
 * Figures are whatever the caller measures (µs, MB/s, samples/s); the ratio is always b / a.
 */
import { median } from '../../common/stats.js'

/** The median of per-round ratios b/a and how far the rounds spread around it. */
export interface RatioSummary {
  /** Median over rounds of b[i] / a[i]. */
  ratio: number
  /** Smallest and largest per-round ratio. */
  spread: [number, number]
  /** Every per-round ratio, in round order. */
  ratios: number[]
  rounds: number
}

export interface AbResult extends RatioSummary {
  /** Per-round figures of A and B, in round order. */
  a: number[]
  b: number[]
  aMedian: number
  bMedian: number
}

type Measure = (round: number) => Promise<number>

/**
 * Runs every arm once per round, rotating which goes first (round r starts with arm r mod n), and
 * returns each arm's per-round figures. A round that throws stops the whole measurement: a partial
 * round would pair figures from different machine states.
 */
export async function interleave<K extends string>(opts: {
  rounds: number
  arms: Record<K, Measure>
  onRound?: (round: number, figures: Record<K, number>) => void
}): Promise<Record<K, number[]>> {
  const names = Object.keys(opts.arms) as K[]
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`rounds must be ≥ 1, got ${opts.rounds}`)
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>
  for (let r = 0; r < opts.rounds; r++) {
    const figures = {} as Record<K, number>
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length] as K
      figures[name] = await opts.arms[name](r)
    }
    for (const n of names) out[n].push(figures[n])
    opts.onRound?.(r, figures)
  }
  return out
}

/** Median and spread of the per-round ratios b[i] / a[i] (rounds where a is 0 are skipped). */
export function ratioOf(a: readonly number[], b: readonly number[]): RatioSummary {
  if (a.length !== b.length) throw new Error(`per-round figures differ in length: ${a.length} and ${b.length}`)
  const ratios: number[] = []
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    if (x !== 0 && Number.isFinite(x) && Number.isFinite(y)) ratios.push(y / x)
  }
  if (ratios.length === 0) return { ratio: Number.NaN, spread: [Number.NaN, Number.NaN], ratios, rounds: 0 }
  return { ratio: median(ratios), spread: [Math.min(...ratios), Math.max(...ratios)], ratios, rounds: ratios.length }
}

/** A against B in interleaved rounds (A B, B A, …); see the header for how to read the result. */
export async function abRounds(opts: {
  rounds: number
  a: Measure
  b: Measure
  onRound?: (round: number, a: number, b: number) => void
}): Promise<AbResult> {
  const onRound = opts.onRound
  const figures = await interleave({
    rounds: opts.rounds,
    arms: { a: opts.a, b: opts.b },
    ...(onRound ? { onRound: (r: number, f: { a: number; b: number }) => onRound(r, f.a, f.b) } : {}),
  })
  return { ...ratioOf(figures.a, figures.b), a: figures.a, b: figures.b, aMedian: median(figures.a), bMedian: median(figures.b) }
}

/** "1.012× (0.991–1.034, 5 rounds)". */
export function formatRatio(r: RatioSummary, digits = 3): string {
  return `${r.ratio.toFixed(digits)}× (${r.spread[0].toFixed(digits)}–${r.spread[1].toFixed(digits)}, ${r.rounds} round${r.rounds === 1 ? '' : 's'})`
}

/** "+1.2 % (−0.9 … +3.4 %, 5 rounds)": the median per-round difference of b from a, in percent. */
export function formatDiffPct(r: RatioSummary, digits = 1): string {
  const pct = (x: number): string => `${x >= 1 ? '+' : '−'}${(Math.abs(x - 1) * 100).toFixed(digits)}`
  return `${pct(r.ratio)} % (${pct(r.spread[0])} … ${pct(r.spread[1])} %, ${r.rounds} round${r.rounds === 1 ? '' : 's'})`
}
