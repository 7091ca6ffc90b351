/**
 * `edgebench check`: the CI gate. Exit 0 when the candidate is within every limit, 1 with one line
 * per broken limit, 2 on bad input (an unknown run, a file that is not a results.json, a bad
 * number), 130 when cancelled while measuring a model-file candidate.
 */
import type { Command } from 'commander'
import { DEFAULT_CHECK_LIMITS, type CheckLimits, type CheckReport } from '../../common/check.js'
import { parsePercent } from '../../common/units.js'
import { checkFor } from '../api/check.js'
import { interruptSignal, openStudio } from './context.js'
import { ExitStatus, printJson, printLine, progressBar } from './output.js'
import { intOption } from './run-helpers.js'

interface CheckFlags {
  baseline: string
  candidate: string
  device?: string
  model?: string
  maxSlowdown: string
  maxAccuracyDrop: string
  maxSizeGrowth: string
  minMs?: number
  minRuns?: number
  json?: boolean
}

function limitsFrom(o: CheckFlags): CheckLimits {
  return {
    maxSlowdownPct: parsePercent(o.maxSlowdown, '--max-slowdown', { max: Infinity }),
    maxAccuracyDropPt: parsePercent(o.maxAccuracyDrop, '--max-accuracy-drop', { points: true }),
    maxSizeGrowthPct: parsePercent(o.maxSizeGrowth, '--max-size-growth', { max: Infinity }),
  }
}

function printReport(r: CheckReport): void {
  printLine(`baseline:  ${r.baseline.source}${r.baseline.runIds.length > 0 ? ` (runs ${r.baseline.runIds.map((i) => `#${i}`).join(', ')})` : ''}`)
  printLine(`candidate: ${r.candidate.source}${r.candidate.runIds.length > 0 ? ` (runs ${r.candidate.runIds.map((i) => `#${i}`).join(', ')})` : ''}`)
  for (const n of r.notes) printLine(`note: ${n}`)
  for (const item of r.items) printLine(`${item.outcome.toUpperCase().padEnd(4)} ${item.text}`)
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('CI gate: is the candidate within the limits of the baseline (latency, accuracy, size)? exit 0 yes, 1 no')
    .requiredOption('--baseline <run id|results.json>', 'what was measured before')
    .requiredOption('--candidate <run id|results.json|model file>', 'what to judge; a model file is benchmarked (and evaluated) first')
    .option('--device <name>', 'where a model-file candidate runs (default: the baseline\'s device); picks the results.json row')
    .option('--model <name>', 'the results.json row to compare when the file holds several')
    .option('--max-slowdown <percent>', 'allowed slowdown of the median: the whole 95 % CI of the ratio must lie above it to fail', String(DEFAULT_CHECK_LIMITS.maxSlowdownPct))
    .option('--max-accuracy-drop <points>', 'allowed top-1 drop in percentage points', String(DEFAULT_CHECK_LIMITS.maxAccuracyDropPt))
    .option('--max-size-growth <percent>', 'allowed model file growth in percent', String(DEFAULT_CHECK_LIMITS.maxSizeGrowthPct))
    .option('--min-ms <n>', 'measuring a model file: minimum measuring time in ms (default: the baseline\'s)', intOption('--min-ms', 0))
    .option('--min-runs <n>', 'measuring a model file: minimum timed runs (default: the baseline\'s)', intOption('--min-runs', 1))
    .option('--json', 'machine-readable output')
    .action(async (o: CheckFlags, cmd: Command) => {
      const limits = limitsFrom(o)
      const studio = openStudio(cmd)
      const bar = progressBar('check')
      let report: CheckReport
      try {
        report = await checkFor(studio, {
          baseline: o.baseline,
          candidate: o.candidate,
          limits,
          ...(o.device !== undefined ? { device: o.device } : {}),
          ...(o.model !== undefined ? { model: o.model } : {}),
          latency: { ...(o.minMs !== undefined ? { minMs: o.minMs } : {}), ...(o.minRuns !== undefined ? { minRuns: o.minRuns } : {}) },
          signal: interruptSignal(),
          onProgress: (_label, p) => bar.update(p),
        })
      } finally {
        bar.done()
      }
      if (o.json) printJson(report)
      else printReport(report)
      if (!report.ok) {
        // One line per broken limit: on stdout with the rest, on stderr too when stdout is JSON.
        if (o.json) for (const i of report.items.filter((x) => x.outcome === 'fail')) process.stderr.write(`FAIL ${i.text}\n`)
        throw new ExitStatus(1)
      }
    })
}
