/**
 * `edgebench demo`: every bundled zoo model on this computer — inspect, bench, and eval on the
 * full test split — into the store, then a report folder. Works on a fresh machine, no other step.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { StudioError } from '../../common/errors.js'
import { formatDuration, formatPercent } from '../../common/format.js'
import type { RunRecord } from '../../common/types.js'
import { LOCAL_DEVICE } from '../bench/device-registry.js'
import { writeReport } from '../report/index.js'
import { openStudio } from './context.js'
import { rowsForRuns } from '../report/report-items.js'
import { latencySamplesFor } from '../report/samples.js'
import { printLine, table } from './output.js'
import { runSpec } from '../bench/run-spec.js'
import { benchOf, evalOf, intOption, runWithBar } from './run-helpers.js'

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('benchmark the bundled model zoo on this computer and write a report')
    .option('-o, --out <dir>', 'report folder', 'edgebench-report')
    .option('--limit <n>', 'evaluate on the first N test images only (default: all)', intOption('--limit', 1))
    .option('--min-ms <n>', 'minimum measuring time per model in ms', intOption('--min-ms', 0), 2000)
    .action(async (opts: { out: string; limit?: number; minMs: number }, cmd: Command) => {
      const studio = openStudio(cmd)
      const started = Date.now()
      const models = await studio.ensureZoo()
      if (models.length === 0) {
        throw new StudioError(
          'FILE_NOT_FOUND',
          'No bundled models found in resources/models. Reinstall or check out the repository again.',
        )
      }
      const env = await studio.probe(LOCAL_DEVICE)
      printLine(`EdgeBench demo: ${models.length} models on ${env.cpuModel} (${env.cores} cores), 1 thread`)
      const runs: RunRecord[] = []
      const lines: string[][] = []
      for (const [i, model] of models.entries()) {
        const label = `[${i + 1}/${models.length}] ${model.name}`
        await studio.inspect(model.id)
        const base = { modelId: model.id, deviceName: LOCAL_DEVICE }
        const bench = await runWithBar(studio, runSpec({ ...base, kind: 'bench', latency: { minMs: opts.minMs } }), `${label} latency`)
        const evaluation = await runWithBar(
          studio,
          runSpec({ ...base, kind: 'eval', dataset: 'fashion-mnist', split: 'test', limit: opts.limit || undefined }),
          `${label} accuracy`,
        )
        runs.push(bench, evaluation)
        const b = benchOf(bench)
        const e = evalOf(evaluation)
        lines.push([
          model.name,
          formatDuration(b.latencyUs.p50),
          formatDuration(b.latencyUs.p90),
          formatPercent(e.top1, 2),
          String(e.count),
        ])
        printLine(`${label}: p50 ${formatDuration(b.latencyUs.p50)}, top-1 ${formatPercent(e.top1, 2)}`)
      }
      const rows = await rowsForRuns(studio, runs)
      const dir = resolve(opts.out)
      const paths = await writeReport(dir, rows, {
        title: 'EdgeBench demo: the model zoo on this computer',
        generatedAt: new Date().toISOString(),
        env,
        latencySamplesUs: latencySamplesFor(studio.store, rows),
      })
      printLine()
      printLine(table(['model', 'p50', 'p90', 'top-1', 'samples'], lines))
      printLine()
      printLine(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s. Report written to ${dir}/`)
      printLine(`  ${paths.html}\n  ${paths.csv}\n  ${paths.json}`)
    })
}
