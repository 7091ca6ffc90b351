/**
 * Checks the timed early-exit cascade against the rule: every timed run's stop (which exit, and
 * the logits it stopped with) is compared, outside the clock, with what stops() decides in float64
 * on the unsplit model's outputs for that sample. The cascade decides in float32 inside ONNX
 * Runtime, so a score within EDGE of the threshold may fall either way and is not counted.
 */
import { exitScore, stops, type ExitRule } from '../../common/early-exit.js'

const EDGE = 1e-6

export class CascadeCheck {
  /** Per exit, each sample's rule figure (float64). */
  private readonly scores: Float64Array[]
  /** Per output (exits, then the final), each sample's unsplit logits. */
  private readonly reference: Float32Array[] = []
  private classes = 0
  mismatches = 0

  constructor(
    private readonly outputs: readonly string[],
    private readonly rule: ExitRule,
    private readonly total: number,
  ) {
    this.scores = outputs.slice(0, -1).map(() => new Float64Array(total))
  }

  /** Records the unsplit outputs of samples offset … offset + count − 1. */
  add(offset: number, count: number, unsplit: Float32Array[]): void {
    const classes = (unsplit[0]?.length ?? 0) / count
    if (this.reference.length === 0) {
      this.classes = classes
      this.reference.push(...this.outputs.map(() => new Float32Array(this.total * classes)))
    }
    unsplit.forEach((u, k) => this.reference[k]?.set(u, offset * classes))
    this.scores.forEach((s, k) => {
      for (let i = 0; i < count; i++)
        s[offset + i] = exitScore(unsplit[k] as Float32Array, i * classes, classes, this.rule)
    })
  }

  /** Checks one timed run of `sample` at threshold t; widens maxAbsDiff of the output it stopped at. */
  check(
    sample: number,
    t: number,
    stopped: number,
    logits: ArrayLike<number>,
    maxAbsDiff: Record<string, number>,
  ): void {
    let expected = -1
    let edge = false
    for (const [k, s] of this.scores.entries()) {
      const score = s[sample] as number
      if (Math.abs(score - t) < EDGE) edge = true
      if (stops(score, t, this.rule)) {
        expected = k
        break
      }
    }
    if (stopped !== expected && !edge) this.mismatches++
    const k = stopped >= 0 && stopped < this.scores.length ? stopped : this.outputs.length - 1
    const ref = this.reference[k] as Float32Array
    const name = this.outputs[k] as string
    let d = maxAbsDiff[name] ?? 0
    for (let c = 0; c < this.classes; c++) {
      d = Math.max(d, Math.abs((logits[c] as number) - (ref[sample * this.classes + c] as number)))
    }
    maxAbsDiff[name] = Number.isNaN(d) ? Infinity : d
  }
}
