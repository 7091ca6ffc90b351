/** 'runs:compare': each run's latency samples against the first run's, from the stored samples. */
import type { RunComparison } from '../../common/api.js'
import { StudioError } from '../../common/errors.js'
import { compareSamples } from '../../common/stats.js'
import type { RunRecord } from '../../common/types.js'
import type { Store } from '../store/store.js'

export const DEFAULT_NOISE = 0.02

function samplesOf(store: Store, runId: number): { run: RunRecord; samples: Float64Array } {
  const run = store.getRun(runId)
  if (!run) throw new StudioError('NOT_FOUND', `No run with id ${runId}.`)
  if (run.kind !== 'bench') {
    throw new StudioError('BAD_INPUT', `Run ${runId} is an accuracy run; only latency (bench) runs can be compared.`)
  }
  const samples = store.getSamples(runId)
  if (samples.length < 2) {
    throw new StudioError('BAD_INPUT', `Run ${runId} has ${samples.length} latency samples; compare runs that measured.`)
  }
  return { run, samples }
}

export function compareRuns(store: Store, runIds: readonly number[], noise = DEFAULT_NOISE): RunComparison {
  const [baselineId, ...rest] = runIds
  if (baselineId === undefined || rest.length === 0) {
    throw new StudioError('BAD_INPUT', 'Pick at least two runs to compare; the first is the baseline.')
  }
  const baseline = samplesOf(store, baselineId)
  const rows = rest.map((id) => {
    const { run, samples } = samplesOf(store, id)
    const c = compareSamples(baseline.samples, samples, noise)
    return { runId: id, model: run.modelName, device: run.deviceName, ratio: c.ratio, ci95: c.ci95, verdict: c.verdict }
  })
  return { baselineRunId: baselineId, noise, rows }
}
