/** `edgebench early-exit`: the threshold sweep of an early-exit model, measured on a device. */
import type { Command } from 'commander'
import type { EarlyExitResult, ExitRule } from '../../common/early-exit.js'
import { StudioError } from '../../common/errors.js'
import { formatCount, formatDuration, formatPercent } from '../../common/format.js'
import { LOCAL_DEVICE } from '../bench/device-registry.js'
import { interruptSignal, openStudio } from './context.js'
import { printJson, printLine, progressBar, table } from './output.js'
import { intOption, sessionFromFlags, type LatencyFlags, type SessionFlags } from './run-helpers.js'

interface Flags extends SessionFlags, LatencyFlags {
  dataset?: string
  split?: string
  exit?: string[]
  thresholds?: string
  rule: string
  device: string
  limit?: number
  json?: boolean
}

/** "0.5,0.6, 0.7" → numbers; anything that is not a number is BAD_INPUT (range checked later). */
export function parseThresholds(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim())
  const bad = parts.find((s) => s === '' || !Number.isFinite(Number(s)))
  if (bad !== undefined) {
    throw new StudioError(
      'BAD_INPUT',
      `--thresholds takes numbers in [0, 1] separated by commas (e.g. 0.5,0.8,0.95); '${bad}' is not one.`,
    )
  }
  return parts.map(Number)
}

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
]

/** The JSON of the command: the shape first, the rest of the measurement after. */
export function earlyExitJson(r: EarlyExitResult): Record<string, unknown> {
  return {
    exits: r.exits,
    fullMacs: r.fullMacs,
    points: r.points.map((p) => ({
      threshold: p.threshold,
      top1: p.top1,
      exitRate: p.exitRate,
      exitRates: p.exitRates,
      avgMacs: p.avgMacs,
      latencyUs: p.latencyUs,
      top5: p.top5,
      timedCount: p.timedCount,
      timedExitRate: p.timedExitRate,
    })),
    model: r.model,
    device: r.device,
    dataset: r.dataset,
    split: r.split,
    count: r.count,
    rule: r.rule,
    final: r.final,
    fullTop1: r.fullTop1,
    full: r.full,
    operatingPoint: r.operatingPoint,
    verify: r.verify,
    session: r.session,
    sweepId: r.id,
  }
}

function printResult(r: EarlyExitResult): void {
  const rule = r.rule === 'maxprob' ? 'max softmax ≥ t' : 'entropy/ln(classes) ≤ t'
  printLine(
    `${r.model} on ${r.device}: ${r.dataset} ${r.split}, ${r.count.toLocaleString('en-US')} samples; stop when ${rule}`,
  )
  for (const e of r.exits)
    printLine(`  exit ${e.name}: ${formatCount(e.macs)} MACs, top-1 alone ${formatPercent(e.top1, 2)}`)
  printLine(
    `  full (${r.final}): ${formatCount(r.fullMacs)} MACs, top-1 ${formatPercent(r.fullTop1, 2)}, mean ${formatDuration(r.full.latencyUs.mean)} (unsplit model)`,
  )
  const worst = Math.max(...Object.values(r.verify.maxAbsDiff))
  printLine(
    `  split verified on ${r.verify.samples.toLocaleString('en-US')} samples: max abs difference ${worst.toExponential(1)}`,
  )
  printLine(
    table(
      ['threshold', 'top-1', 'exit rate', 'avg MACs', 'mean', 'p50', 'p90'],
      r.points.map((p) => [
        String(p.threshold),
        formatPercent(p.top1, 2),
        formatPercent(p.exitRate, 1),
        formatCount(p.avgMacs),
        formatDuration(p.latencyUs.mean),
        formatDuration(p.latencyUs.p50),
        formatDuration(p.latencyUs.p90),
      ]),
    ),
  )
  const op = r.operatingPoint
  printLine(
    op
      ? `cheapest within 1 point of the full model: t = ${op.threshold} (top-1 ${formatPercent(op.top1, 2)}): MACs −${formatPercent(op.macsSaving, 1)}, mean latency −${formatPercent(op.latencySaving, 1)}`
      : 'no threshold keeps top-1 within 1 point of the full model',
  )
}

export function registerEarlyExit(program: Command): void {
  program
    .command('early-exit <model>')
    .description('how often an early-exit model can stop early, and what it saves, measured on a device')
    .option(
      '--dataset <name|path>',
      "dataset name (e.g. 'fashion-mnist') or a folder; default: the model card's",
    )
    .option('--split <name>', "dataset split (default: the model card's, else test)")
    .option(
      '--exit <name>',
      'exit output to use (repeatable or comma-separated; default: every output named exit*)',
      collect,
    )
    .option('--thresholds <list>', 'thresholds in [0, 1], comma-separated (default 0.5,0.55,…,1)')
    .option(
      '--rule <rule>',
      'maxprob (stop when max softmax ≥ t) or entropy (stop when entropy/ln(classes) ≤ t)',
      'maxprob',
    )
    .option('--device <name>', 'device to run on (this computer or an SSH board)', LOCAL_DEVICE)
    .option('--limit <n>', 'only the first N samples', intOption('--limit', 1))
    .option('--threads <n>', 'intra-op threads', intOption('--threads', 1))
    .option('--min-runs <n>', 'minimum timed runs per threshold (default 200)', intOption('--min-runs', 1))
    .option(
      '--min-ms <n>',
      'minimum measuring time per threshold in ms (default 2000)',
      intOption('--min-ms', 0),
    )
    .option(
      '--max-ms <n>',
      'cap on measuring time per threshold in ms (default 60000)',
      intOption('--max-ms', 1),
    )
    .option('--warmup-runs <n>', 'minimum warm-up runs (default 10)', intOption('--warmup-runs', 0))
    .option('--warmup-ms <n>', 'minimum warm-up time in ms (default 500)', intOption('--warmup-ms', 0))
    .option('--json', 'machine-readable output')
    .action(async (modelPath: string, opts: Flags, cmd: Command) => {
      const thresholds = opts.thresholds !== undefined ? parseThresholds(opts.thresholds) : undefined
      const studio = openStudio(cmd)
      const model = await studio.importModel(modelPath)
      const bar = progressBar(model.name)
      try {
        const r = await studio.earlyExit(
          {
            modelId: model.id,
            deviceName: opts.device,
            ...(opts.dataset !== undefined ? { dataset: opts.dataset } : {}),
            ...(opts.split !== undefined ? { split: opts.split } : {}),
            ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
            ...(opts.exit !== undefined ? { exits: opts.exit } : {}),
            ...(thresholds !== undefined ? { thresholds } : {}),
            rule: opts.rule as ExitRule,
            session: sessionFromFlags(opts),
            latency: opts,
          },
          { onProgress: (p) => bar.update(p), signal: interruptSignal() },
        )
        bar.done()
        if (opts.json) printJson(earlyExitJson(r))
        else printResult(r)
      } finally {
        bar.done()
      }
    })
}
