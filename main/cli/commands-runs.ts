/** `runs list | show <id> | export <id…>`. */
import type { Command } from 'commander'
import { StudioError } from '../../common/errors.js'
import { formatDuration, formatLocalTime, formatPercent } from '../../common/format.js'
import { summarize } from '../../common/stats.js'
import type { BenchResult, EvalResult, LatencyStats, RunRecord, RunStatus } from '../../common/types.js'
import type { Store } from '../store/store.js'
import { renderReport } from '../report/index.js'
import { writeAtomic } from '../report/write-report.js'
import { formatOf } from './commands-report.js'
import { openStudio } from './context.js'
import { printJson, printLine, table } from './output.js'
import { envsForRuns, rowsForRuns } from '../report/report-items.js'
import { latencySamplesFor } from '../report/samples.js'
import { intOption } from './run-helpers.js'

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('stored runs')
  runs
    .command('list')
    .option('--status <status>', 'only runs with this status')
    .option('--limit <n>', 'at most N runs', intOption('--limit', 1))
    .option('--json', 'machine-readable output')
    .action((opts: { status?: RunStatus; limit?: number; json?: boolean }, cmd: Command) => {
      const studio = openStudio(cmd)
      const list = studio.store.listRuns({
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.limit ? { limit: opts.limit } : {}),
      })
      if (opts.json) return printJson(list.map((run) => ({ ...run, result: undefined })))
      if (list.length === 0)
        return printLine("No runs yet. Try 'edgebench demo' or 'edgebench bench <model.onnx>'.")
      printLine(table(['id', 'kind', 'model', 'device', 'status', 'figure', 'created'], list.map(summaryRow)))
    })
  runs
    .command('show <id>')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }, cmd: Command) => {
      const studio = openStudio(cmd)
      const run = studio.store.getRun(parseId(id))
      if (!run) throw new StudioError('NOT_FOUND', `No run with id ${id}. See 'edgebench runs list'.`)
      const partial = partialFigures(studio.store, run)
      if (opts.json) return printJson(partial ? { ...run, partial } : run)
      printLine(table(['id', 'kind', 'model', 'device', 'status', 'figure', 'created'], [summaryRow(run)]))
      if (run.error) printLine(`error: ${run.error.code}: ${run.error.message}`)
      if (partial) printLine(describePartial(partial))
      printLine(JSON.stringify(run.result, null, 2))
    })
  runs
    .command('export <ids...>')
    .description("the runs' report (same as 'edgebench report --runs <ids>')")
    .requiredOption('--format <format>', 'html | pdf | md | tex | csv | json')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (ids: string[], opts: { format: string; output?: string }, cmd: Command) => {
      const format = formatOf(opts)
      if (format === 'pdf' && !opts.output) throw new StudioError('BAD_INPUT', 'A PDF needs a file: add -o report.pdf.')
      const studio = openStudio(cmd)
      const list = ids.map((id) => {
        const run = studio.store.getRun(parseId(id))
        if (!run) throw new StudioError('NOT_FOUND', `No run with id ${id}. See 'edgebench runs list'.`)
        return run
      })
      const rows = await rowsForRuns(studio, list)
      const meta = {
        title: 'EdgeBench runs',
        generatedAt: new Date().toISOString(),
        envs: envsForRuns(list),
        ...(format === 'json' ? { latencySamplesUs: latencySamplesFor(studio.store, rows) } : {}),
      }
      const out = await renderReport(rows, meta, format)
      if (opts.output) await writeAtomic(opts.output, out.bytes ?? out.text)
      else process.stdout.write(out.text?.endsWith('\n') ? out.text : `${out.text ?? ''}\n`)
    })
}

/** What a run that did not finish measured before it stopped; labelled partial wherever shown. */
export type PartialFigures =
  | { partial: true; status: RunStatus; samples: number; latencyUs: LatencyStats | null }
  | { partial: true; status: RunStatus; predictions: number; of: number | null; top1: number | null; top5: number | null }

/** Sample count and statistics of an unfinished bench run, or the prediction count and accuracy of an eval. */
export function partialFigures(store: Store, run: RunRecord): PartialFigures | null {
  if (run.status === 'finished' || run.status === 'queued') return null
  if (run.kind === 'bench') {
    const samples = store.getSamples(run.id)
    return { partial: true, status: run.status, samples: samples.length, latencyUs: samples.length > 0 ? summarize(samples) : null }
  }
  const r = run.result as EvalResult | null
  if (r && r.partialOf !== undefined) {
    return { partial: true, status: run.status, predictions: r.count, of: r.partialOf, top1: r.top1, top5: r.top5 }
  }
  return { partial: true, status: run.status, predictions: store.getPredictions(run.id).indices.length, of: null, top1: null, top5: null }
}

function describePartial(p: PartialFigures): string {
  if ('samples' in p) {
    if (p.latencyUs === null) return `partial (${p.status}): no samples were measured`
    const l = p.latencyUs
    return `partial (${p.status}): ${p.samples.toLocaleString('en-US')} samples measured — p50 ${formatDuration(l.p50)}, p90 ${formatDuration(l.p90)}, mean ${formatDuration(l.mean)}, min ${formatDuration(l.min)}, max ${formatDuration(l.max)}, CV ${formatPercent(l.cv)}`
  }
  const of = p.of === null ? '' : ` of ${p.of.toLocaleString('en-US')}`
  const acc = p.top1 === null ? '' : ` — top-1 ${formatPercent(p.top1, 2)}, top-5 ${formatPercent(p.top5 ?? 0, 2)}`
  return `partial (${p.status}): ${p.predictions.toLocaleString('en-US')}${of} predictions stored${acc}`
}

function parseId(id: string): number {
  const n = Number(id)
  if (!Number.isInteger(n) || n < 1)
    throw new StudioError('BAD_INPUT', `'${id}' is not a run id (a positive integer).`)
  return n
}

function summaryRow(run: RunRecord): string[] {
  let figure = ''
  if (run.kind === 'eval' && run.result && (run.result as EvalResult).partialOf !== undefined) {
    figure = `top-1 ${formatPercent((run.result as EvalResult).top1, 2)} (partial)`
  } else if (run.status === 'finished' && run.result) {
    figure =
      run.kind === 'bench'
        ? `p50 ${formatDuration((run.result as BenchResult).latencyUs.p50)}`
        : `top-1 ${formatPercent((run.result as EvalResult).top1, 2)}`
  }
  return [String(run.id), run.kind, run.modelName, run.deviceName, run.status, figure, formatLocalTime(run.createdAt)]
}
