/** `runs list | show <id> | export <id…>`. */
import type { Command } from 'commander'
import { StudioError } from '../../common/errors.js'
import { formatDuration, formatLocalTime, formatPercent } from '../../common/format.js'
import type { BenchResult, EvalResult, RunRecord, RunStatus } from '../../common/types.js'
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
      if (opts.json) return printJson(run)
      printLine(table(['id', 'kind', 'model', 'device', 'status', 'figure', 'created'], [summaryRow(run)]))
      if (run.error) printLine(`error: ${run.error}`)
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

function parseId(id: string): number {
  const n = Number(id)
  if (!Number.isInteger(n) || n < 1)
    throw new StudioError('BAD_INPUT', `'${id}' is not a run id (a positive integer).`)
  return n
}

function summaryRow(run: RunRecord): string[] {
  let figure = ''
  if (run.status === 'finished' && run.result) {
    figure =
      run.kind === 'bench'
        ? `p50 ${formatDuration((run.result as BenchResult).latencyUs.p50)}`
        : `top-1 ${formatPercent((run.result as EvalResult).top1, 2)}`
  }
  return [String(run.id), run.kind, run.modelName, run.deviceName, run.status, figure, formatLocalTime(run.createdAt)]
}
