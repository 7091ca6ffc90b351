/**
 * The one run summary every list shows (the API's 'runs:list', the renderer's run store after a
 * 'run:finished' event): a stored run without its large result, plus its headline figure.
 *
 * A run that ended early (cancelled, interrupted, failed) may still carry a partial result (the
 * accuracy of the samples received before a board was unplugged): its figure is shown, flagged
 * `partial`, never passed off as a finished measurement.
 */
import type { BenchResult, EvalResult, RunRecord } from './types.js'

/** A stored run without its full result (no confusion matrix, no profile), for lists. */
export type RunSummary = Omit<RunRecord, 'result'> & {
  /** Median and p90 latency, µs (bench runs with a result). */
  p50Us: number | null
  p90Us: number | null
  /** Top-1 accuracy, a fraction (eval runs with a result). */
  top1: number | null
  /** True when the figures come from a run that did not finish (what it measured before it stopped). */
  partial: boolean
}

function finite(x: number | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null
}

function benchOf(run: RunRecord): BenchResult | null {
  return run.kind === 'bench' && run.result && 'latencyUs' in run.result ? run.result : null
}

function evalOf(run: RunRecord): EvalResult | null {
  return run.kind === 'eval' && run.result && 'top1' in run.result ? run.result : null
}

/** The list shape of a run; figures of an unfinished run are kept and marked partial. */
export function toRunSummary(run: RunRecord): RunSummary {
  const { result, ...rest } = run
  void result
  const bench = benchOf(run)
  const ev = evalOf(run)
  const p50Us = finite(bench?.latencyUs.p50)
  const top1 = finite(ev?.top1)
  const hasFigure = p50Us !== null || top1 !== null
  return {
    ...rest,
    p50Us,
    p90Us: finite(bench?.latencyUs.p90),
    top1,
    partial: hasFigure && (run.status !== 'finished' || ev?.partialOf !== undefined),
  }
}
