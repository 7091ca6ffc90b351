/**
 * `edgebench demo`: every bundled zoo model on this computer — inspect, bench, and eval on the
 * full test split — then INT8 static, FP16 and structured-pruned variants of three of them, derived
 * and measured the same way, into the store; then a report folder with the trade-offs. Works on a
 * fresh machine, no other step.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { recipeLabel } from '../../common/compress.js'
import type { RecipeInput } from '../../common/recipe.js'
import { StudioError, toStudioError } from '../../common/errors.js'
import { formatDuration, formatPercent } from '../../common/format.js'
import type { RunRecord } from '../../common/types.js'
import { LOCAL_DEVICE } from '../bench/device-registry.js'
import { runSpec } from '../bench/run-spec.js'
import { parseRecipe } from '../compress/recipe.js'
import { writeReport } from '../report/index.js'
import { envsForRuns, rowsForRuns } from '../report/report-items.js'
import { latencySamplesFor } from '../report/samples.js'
import type { ModelRow } from '../store/store.js'
import type { Studio } from '../studio.js'
import { interruptSignal, openStudio } from './context.js'
import { printLine, table } from './output.js'
import { benchOf, evalOf, intOption, runWithBar } from './run-helpers.js'

/** Three zoo models of different families whose variants show the trade-offs (and derive quickly). */
export const DEMO_VARIANT_MODELS = ['resnet8', 'mobilenetv2', 'leanresnet'] as const

/**
 * INT8 static (uint8 activations, per-channel, minmax), FP16, and a quarter of the channels pruned
 * (the pruning recipe's recovery applies by default where the model has calibration data).
 */
export const DEMO_RECIPES: readonly RecipeInput[] = [
  { method: 'int8-static' },
  { method: 'fp16' },
  { method: 'prune-structured', ratio: 0.25 },
]

interface DemoOptions {
  out: string
  limit?: number
  minMs: number
  variants: boolean
}

interface Measured {
  runs: RunRecord[]
  line: string[]
}

async function measure(studio: Studio, model: ModelRow, label: string, opts: DemoOptions): Promise<Measured> {
  await studio.inspect(model.id)
  const base = { modelId: model.id, deviceName: LOCAL_DEVICE }
  const bench = await runWithBar(studio, runSpec({ ...base, kind: 'bench', latency: { minMs: opts.minMs } }), `${label} latency`)
  const evaluation = await runWithBar(
    studio,
    runSpec({ ...base, kind: 'eval', dataset: 'fashion-mnist', split: 'test', limit: opts.limit || undefined }),
    `${label} accuracy`,
  )
  const b = benchOf(bench)
  const e = evalOf(evaluation)
  printLine(`${label}: p50 ${formatDuration(b.latencyUs.p50)}, top-1 ${formatPercent(e.top1, 2)}`)
  return {
    runs: [bench, evaluation],
    line: [model.name, model.kind, formatDuration(b.latencyUs.p50), formatDuration(b.latencyUs.p90), formatPercent(e.top1, 2), String(e.count)],
  }
}

/** Derives the demo's variants of one model; a recipe that fails is reported and skipped. */
async function deriveAll(studio: Studio, parent: ModelRow): Promise<ModelRow[]> {
  const out: ModelRow[] = []
  for (const recipe of DEMO_RECIPES) {
    const label = recipeLabel(recipe)
    const started = Date.now()
    try {
      const { model } = await studio.deriveVariant(parent.id, parseRecipe(recipe), { signal: interruptSignal() })
      printLine(`derived ${model.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      out.push(model)
    } catch (e) {
      const err = toStudioError(e)
      if (err.code === 'CANCELLED') throw err
      printLine(`could not derive ${parent.name}-${label}: ${err.message} (skipped)`)
    }
  }
  return out
}

async function runDemo(studio: Studio, opts: DemoOptions): Promise<void> {
  const started = Date.now()
  const models = await studio.ensureZoo()
  if (models.length === 0) {
    throw new StudioError('FILE_NOT_FOUND', 'No bundled models found in resources/models. Reinstall or check out the repository again.')
  }
  const env = await studio.probe(LOCAL_DEVICE)
  const parents = opts.variants ? models.filter((m) => (DEMO_VARIANT_MODELS as readonly string[]).includes(m.name)) : []
  const total = models.length + parents.length * DEMO_RECIPES.length
  printLine(`EdgeBench demo: ${models.length} models and ${total - models.length} variants on ${env.cpuModel} (${env.cores} cores), 1 thread`)
  const runs: RunRecord[] = []
  const lines: string[][] = []
  let i = 0
  const add = async (model: ModelRow): Promise<void> => {
    const m = await measure(studio, model, `[${++i}/${total}] ${model.name}`, opts)
    runs.push(...m.runs)
    lines.push(m.line)
  }
  for (const model of models) await add(model)
  for (const parent of parents) for (const variant of await deriveAll(studio, parent)) await add(variant)

  const rows = await rowsForRuns(studio, runs)
  const dir = resolve(opts.out)
  const paths = await writeReport(
    dir,
    rows,
    {
      title: 'EdgeBench demo: the model zoo and its variants on this computer',
      generatedAt: new Date().toISOString(),
      env,
      envs: envsForRuns(runs),
      // results.json carries the samples, so `edgebench check` can judge a later run against it.
      latencySamplesUs: latencySamplesFor(studio.store, rows),
    },
    { pdf: true },
  )
  printLine()
  printLine(table(['model', 'variant', 'p50', 'p90', 'top-1', 'samples'], lines))
  printLine()
  printLine(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s. Report written to ${dir}/`)
  printLine(`  ${[paths.html, paths.pdf, paths.csv, paths.json, paths.md].filter(Boolean).join('\n  ')}`)
  if (!paths.pdf) printLine(`  (no report.pdf: no Chromium at ${process.env.EDGEBENCH_CHROMIUM ?? '/usr/bin/chromium'}; apt-get install chromium, or print report.html)`)
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('benchmark the bundled model zoo and INT8/FP16/pruned variants of three of it here, and write a report')
    .option('-o, --out <dir>', 'report folder', 'edgebench-report')
    .option('--limit <n>', 'evaluate on the first N test images only (default: all)', intOption('--limit', 1))
    .option('--min-ms <n>', 'minimum measuring time per model in ms', intOption('--min-ms', 0), 2000)
    .option('--no-variants', 'measure the zoo only, derive no variants')
    .action(async (opts: DemoOptions, cmd: Command) => runDemo(openStudio(cmd), opts))
}
