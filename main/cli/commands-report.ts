/** `edgebench report [--runs <ids> | --model <name> | --all] --format <f> -o <file>`. */
import { extname } from 'node:path'
import type { Command } from 'commander'
import { REPORT_FORMATS, type ReportFormat } from '../../common/api.js'
import { StudioError } from '../../common/errors.js'
import { formatBytes } from '../../common/format.js'
import type { RunRecord } from '../../common/types.js'
import { renderReport } from '../report/index.js'
import { latencySamplesFor } from '../report/samples.js'
import { envsForRuns, rowsForRuns } from '../report/report-items.js'
import { writeAtomic } from '../report/write-report.js'
import type { ModelRow } from '../store/store.js'
import type { Studio } from '../studio.js'
import { interruptSignal, openStudio } from './context.js'
import { printLine } from './output.js'

interface ReportFlags {
  runs?: string
  model?: string
  all?: boolean
  format?: string
  output?: string
  title?: string
}

function isFormat(f: string): f is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(f)
}

/** --format, else the output file's extension, else html. */
export function formatOf(flags: Pick<ReportFlags, 'format' | 'output'>): ReportFormat {
  const given = flags.format ?? (flags.output ? extname(flags.output).slice(1).toLowerCase() : 'html')
  const f = given === 'htm' ? 'html' : given === 'markdown' ? 'md' : given === 'latex' ? 'tex' : given
  if (isFormat(f)) return f
  const what = flags.format ? `--format ${flags.format}` : `the extension of ${flags.output ?? ''}`
  throw new StudioError('BAD_INPUT', `${what} is not a report format; use one of ${REPORT_FORMATS.join(', ')}.`)
}

function parseIds(text: string): number[] {
  const ids = text.split(/[\s,]+/).filter(Boolean).map(Number)
  if (ids.length === 0 || ids.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new StudioError('BAD_INPUT', `--runs takes run ids separated by commas, e.g. --runs 3,4,7 (got '${text}').`)
  }
  return ids
}

/** The model by name or id, and every variant derived from it (any depth). */
function lineageOf(studio: Studio, nameOrId: string): ModelRow[] {
  const models = studio.store.listModels()
  const root = models.find((m) => m.name === nameOrId) ?? models.find((m) => String(m.id) === nameOrId)
  if (!root) throw new StudioError('NOT_FOUND', `No model named '${nameOrId}'. See 'edgebench runs list' for the models measured.`)
  const out = [root]
  for (let i = 0; i < out.length; i++) out.push(...models.filter((m) => m.parentId === out[i]?.id))
  return out
}

/** The finished runs the flags select; exactly one of --runs, --model, --all. */
export function selectRuns(studio: Studio, flags: ReportFlags): RunRecord[] {
  const chosen = [flags.runs !== undefined, flags.model !== undefined, flags.all === true].filter(Boolean).length
  if (chosen !== 1) throw new StudioError('BAD_INPUT', 'Choose what to report with exactly one of --runs <ids>, --model <name> or --all.')
  if (flags.runs !== undefined) {
    return parseIds(flags.runs).map((id) => {
      const run = studio.store.getRun(id)
      if (!run) throw new StudioError('NOT_FOUND', `No run with id ${id}. See 'edgebench runs list'.`)
      return run
    })
  }
  const finished = studio.store.listRuns({ status: 'finished' })
  if (flags.all) return finished
  const ids = new Set(lineageOf(studio, flags.model ?? '').map((m) => m.id))
  return finished.filter((r) => ids.has(r.modelId))
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('a report of stored runs: html, pdf, md, tex (booktabs), csv or json')
    .option('--runs <ids>', 'these runs (comma-separated ids)')
    .option('--model <name>', "a model's runs and those of every variant derived from it")
    .option('--all', 'every finished run')
    .option('--format <format>', `${REPORT_FORMATS.join(' | ')} (default: from -o's extension, else html)`)
    .option('-o, --output <file>', 'write to this file (needed for pdf; text formats go to stdout without it)')
    .option('--title <text>', 'the report title', 'EdgeBench report')
    .action(async (flags: ReportFlags, cmd: Command) => {
      const format = formatOf(flags)
      if (format === 'pdf' && !flags.output) throw new StudioError('BAD_INPUT', 'A PDF needs a file: add -o report.pdf.')
      const studio = openStudio(cmd)
      const runs = selectRuns(studio, flags)
      const rows = await rowsForRuns(studio, runs)
      if (rows.length === 0) {
        throw new StudioError('NOT_FOUND', 'None of the selected runs finished with a result; nothing to report. See \'edgebench runs list\'.')
      }
      const meta = {
        title: flags.title ?? 'EdgeBench report',
        generatedAt: new Date().toISOString(),
        envs: envsForRuns(runs),
        // results.json carries the samples, so `edgebench check` can judge a later run against it.
        ...(format === 'json' ? { latencySamplesUs: latencySamplesFor(studio.store, rows) } : {}),
      }
      const out = await renderReport(rows, meta, format, { signal: interruptSignal() })
      const content = out.bytes ?? out.text
      if (!flags.output) {
        process.stdout.write(out.text?.endsWith('\n') ? out.text : `${out.text ?? ''}\n`)
        return
      }
      await writeAtomic(flags.output, content)
      printLine(`Wrote ${flags.output}: ${rows.length} row${rows.length === 1 ? '' : 's'}, ${format}, ${formatBytes(content.length)}`)
    })
}
