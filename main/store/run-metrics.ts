/**
 * The flat metrics a run's result is indexed by, so the Explore view can chart and filter runs
 * with one cheap query instead of parsing every result JSON.
 */
import type { BenchResult, EvalResult } from '../../common/types.js'

export function isBenchResult(result: BenchResult | EvalResult): result is BenchResult {
  return 'latencyUs' in result
}

/**
 * Metric keys derived from a result: `latency.*` (µs), `memory.*` (bytes), `session.createMs`,
 * `accuracy.*` (fractions and count), `throughput`. Unknown (null) and non-finite figures are
 * left out rather than stored as zero, which would look like a measurement.
 */
export function metricsFromResult(result: BenchResult | EvalResult): Record<string, number> {
  const out: Record<string, number | null | undefined> = {}
  if (isBenchResult(result)) {
    const l = result.latencyUs
    out['latency.p50'] = l.p50
    out['latency.p90'] = l.p90
    out['latency.p95'] = l.p95
    out['latency.p99'] = l.p99
    out['latency.mean'] = l.mean
    out['latency.min'] = l.min
    out['latency.max'] = l.max
    out['latency.std'] = l.std
    out['latency.cv'] = l.cv
    out['latency.ci95lo'] = l.ci95?.[0]
    out['latency.ci95hi'] = l.ci95?.[1]
    out['latency.count'] = l.count
    out['latency.outliers'] = l.outliers
    out['latency.firstUs'] = result.firstInferenceUs
    out['session.createMs'] = result.sessionCreateMs
    out['memory.peakRssBytes'] = result.memory?.peakRssBytes
    out['memory.sessionRssBytes'] = result.memory?.sessionRssBytes
  } else {
    out['accuracy.top1'] = result.top1
    out['accuracy.top5'] = result.top5
    out['accuracy.count'] = result.count
    out['throughput'] = result.throughput
    out['agreement.top1'] = result.agreement?.top1Agreement
    out['agreement.meanCosine'] = result.agreement?.meanCosine
  }
  const metrics: Record<string, number> = {}
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === 'number' && Number.isFinite(value)) metrics[key] = value
  }
  return metrics
}
