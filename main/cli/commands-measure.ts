/** `inspect`, `bench` and `eval` commands. */
import type { Command } from 'commander'
import { formatBytes, formatCount, formatDuration, formatPercent } from '../../common/format.js'
import type { InspectResult, PreprocessSpec } from '../../common/types.js'
import { LOCAL_DEVICE } from '../bench/device-registry.js'
import { inspectModel } from '../model/inspect.js'
import { StudioError } from '../../common/errors.js'
import { boardDataset, boardModelFor } from '../serial-setup.js'
import { interruptSignal, openStudio } from './context.js'
import { printJson, printLine, progressBar, table } from './output.js'
import { addPreprocessFlags, preprocessFromFlags, type PreprocessFlags } from './preprocess-flags.js'
import { feedOf } from '../model-feed.js'
import { SOURCE_LABELS, describePreprocessing, type PreprocessingRequest } from '../../common/preprocessing.js'
import type { DetectionResult } from '../../common/detect.js'
import type { Studio } from '../studio.js'
import { runSpec } from '../bench/run-spec.js'
import { benchOf, evalOf, intOption, runWithBar, sessionFromFlags, type LatencyFlags, type SessionFlags } from './run-helpers.js'

export function registerMeasure(program: Command): void {
  program
    .command('inspect <model>')
    .description('params, MACs, memory, shapes and layers of an ONNX model')
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { json?: boolean }) => {
      const result = await inspectModel(model)
      if (opts.json) return printJson(result)
      printInspect(model, result)
    })

  program
    .command('bench [models...]')
    .description('latency and memory of one or more models on a device (a serial board: its own model when none is given)')
    .option('--device <name>', 'device to run on', LOCAL_DEVICE)
    .option('--threads <n>', 'intra-op threads', intOption('--threads', 1))
    .option('--opt-level <level>', 'graph optimisation: disabled|basic|extended|all')
    .option('--ep <name>', 'execution provider (bundled ones only)')
    .option('--min-runs <n>', 'minimum timed runs (default 200)', intOption('--min-runs', 1))
    .option('--min-ms <n>', 'minimum measuring time in ms (default 2000)', intOption('--min-ms', 0))
    .option('--max-ms <n>', 'cap on measuring time in ms (default 60000)', intOption('--max-ms', 1))
    .option('--warmup-runs <n>', 'minimum warm-up runs (default 10)', intOption('--warmup-runs', 0))
    .option('--warmup-ms <n>', 'minimum warm-up time in ms (default 500)', intOption('--warmup-ms', 0))
    .option('--profile', 'also collect the per-node profile')
    .option('--json', 'machine-readable output (one object per model; an array for several)')
    .action(
      async (
        models: string[],
        opts: SessionFlags & LatencyFlags & { device: string; json?: boolean },
        cmd: Command,
      ) => {
        const studio = openStudio(cmd)
        const session = sessionFromFlags(opts)
        const results = []
        const rows = models.length > 0 ? [] : [await boardModelFor(studio, opts.device, interruptSignal())]
        for (const path of models) rows.push(await studio.importModel(path))
        for (const model of rows) {
          const run = await runWithBar(
            studio,
            runSpec({ kind: 'bench', modelId: model.id, deviceName: opts.device, session, latency: opts }),
            model.name,
          )
          const r = benchOf(run)
          results.push(r)
          if (!opts.json) printBench(r)
        }
        if (opts.json) printJson(results.length === 1 ? results[0] : results)
      },
    )

  addPreprocessFlags(
    program
      .command('eval [model]')
      .description('accuracy of a model on a dataset (top-1, top-5, per class, confusion); a serial board: its own model when none is given'),
    'for this run',
  )
    .option('--dataset <name|path>', "dataset name (e.g. 'fashion-mnist') or a folder (default: the model's; a serial board: its configured one)")
    .option('--split <name>', 'dataset split', 'test')
    .option('--limit <n>', 'evaluate only the first N samples', intOption('--limit', 1))
    .option('--batch-size <n>', 'batch size (default: automatic)', intOption('--batch-size', 1))
    .option('--device <name>', 'device to run on', LOCAL_DEVICE)
    .option('--threads <n>', 'intra-op threads', intOption('--threads', 1))
    .option('--detect-preprocessing', 'first guess the preprocessing (presets × layouts on 200 samples), then evaluate with the best guess')
    .option('--json', 'machine-readable output')
    .action(async (model: string | undefined, opts: EvalFlags, cmd: Command) => {
      const studio = openStudio(cmd)
      const override = await preprocessFromFlags(opts)
      const row = model !== undefined ? await studio.importModel(model) : await boardModelFor(studio, opts.device, interruptSignal())
      const dataset = opts.dataset ?? boardDataset(studio, opts.device) ?? feedOf(studio.store, row).dataset ?? undefined
      if (dataset === undefined) {
        throw new StudioError('BAD_INPUT', "Give --dataset <name|path> (e.g. 'fashion-mnist'), set the model's dataset ('edgebench model set --dataset'), or link one to the serial board with 'device add serial --dataset'.")
      }
      // Checked before a run exists: a flag (or a stored setting) that does not fit the model stores nothing.
      await studio.checkRunPreprocessing(row.id, override ?? {})
      const detection = opts.detectPreprocessing ? await detect(studio, row.id, dataset, override, opts.json === true) : null
      const run = await runWithBar(
        studio,
        runSpec({
          kind: 'eval',
          modelId: row.id,
          deviceName: opts.device,
          session: sessionFromFlags(opts),
          dataset,
          split: opts.split,
          limit: opts.limit,
          batchSize: opts.batchSize,
          preprocessing: detection ? { ...override, settings: detection.best.settings, source: 'detected' } : override,
        }),
        row.name,
      )
      const r = evalOf(run)
      if (opts.json) return printJson({ ...r, warnings: r.warnings ?? [], ...(detection ? { detection } : {}) })
      printLine(
        `${r.model}: top-1 ${formatPercent(r.top1, 2)}, top-5 ${formatPercent(r.top5, 2)} on ${r.dataset} ${r.split} (${r.count.toLocaleString('en-US')} samples)`,
      )
      printLine(`  preprocessing: ${describePreprocessing(r.preprocessing)}${r.preprocessing.source ? ` (${SOURCE_LABELS[r.preprocessing.source]})` : ''}`)
      if (r.labelMatch?.by === 'name') printLine('  labels: matched to the dataset classes by name')
      for (const w of r.warnings ?? []) printLine(`  warning: ${w}`)
    })
}

type EvalFlags = SessionFlags &
  PreprocessFlags & {
    dataset?: string
    split: string
    limit?: number
    batchSize?: number
    device: string
    detectPreprocessing?: boolean
    json?: boolean
  }

/** Auto-detect before an eval: prints the ranking (a guess) unless --json. */
async function detect(studio: Studio, modelId: number, dataset: string, override: PreprocessingRequest | undefined, json: boolean): Promise<DetectionResult> {
  if (override?.settings || override?.preset) {
    throw new StudioError('BAD_INPUT', '--detect-preprocessing guesses the preprocessing itself; leave out --preset, --mean, --std and the other preprocessing flags.')
  }
  const bar = json ? null : progressBar('auto-detect')
  const d = await studio.detectPreprocessing(modelId, { dataset, signal: interruptSignal(), ...(bar ? { onProgress: (p) => bar.update(p) } : {}) })
  bar?.done()
  if (json) return d
  printLine(`Auto-detect (a guess, on the first ${d.samples} samples of ${d.dataset} ${d.split}):`)
  printLine(table(['preprocessing', 'top-1'], d.candidates.map((c) => [c.label, formatPercent(c.top1, 1)])))
  printLine(`Best guess: ${d.best.label} (${describePreprocessing(d.best.spec)}). Evaluating with it; to keep it: edgebench model set ${modelId} ${flagsOf(d.best.spec)}`)
  return d
}

/** The `model set` flags that store a spec's values. */
function flagsOf(spec: PreprocessSpec): string {
  const list = (xs: number[]): string => xs.map((x) => Number(x.toPrecision(4))).join(',')
  return [
    `--scale ${spec.scale === 1 / 255 ? '1/255' : spec.scale}`,
    `--mean ${list(spec.mean)}`,
    `--std ${list(spec.std)}`,
    `--layout ${spec.layout.toLowerCase()}`,
    ...(spec.channels === 3 ? [`--channel-order ${spec.channelOrder ?? 'rgb'}`] : []),
  ].join(' ')
}

function printInspect(model: string, r: InspectResult): void {
  printLine(
    `${model}: opset ${r.opset}, ${formatCount(r.params)} params (${formatBytes(r.weightsBytes)}), ${formatCount(r.macs)} MACs`,
  )
  printLine(
    `file ${formatBytes(r.fileBytes)}, gzip ${formatBytes(r.gzipBytes)}, peak activations ${formatBytes(r.peakActivationBytes)}`,
  )
  printLine(`inputs: ${r.inputs.map((t) => `${t.name} [${t.shape.join(',')}] ${t.dtype}`).join('; ')}`)
  printLine(`outputs: ${r.outputs.map((t) => `${t.name} [${t.shape.join(',')}] ${t.dtype}`).join('; ')}`)
  printLine(
    table(
      ['layer', 'op', 'MACs', 'params', 'output'],
      r.layers.map((l) => [
        l.name,
        l.op,
        formatCount(l.macs),
        formatCount(l.params),
        l.outputShape ? l.outputShape.join('×') : '?',
      ]),
    ),
  )
}

function printBench(r: ReturnType<typeof benchOf>): void {
  const l = r.latencyUs
  printLine(
    `${r.model}: p50 ${formatDuration(l.p50)} (p90 ${formatDuration(l.p90)}, 95 % CI of median ${formatDuration(l.ci95[0])}–${formatDuration(l.ci95[1])}), ${l.count} runs, CV ${formatPercent(l.cv)}`,
  )
  printLine(
    `  first inference ${formatDuration(r.firstInferenceUs)}, session ${r.sessionCreateMs.toFixed(1)} ms, peak RSS ${r.memory.peakRssBytes === null ? 'n/a' : formatBytes(r.memory.peakRssBytes)}, threads ${r.session.threads}`,
  )
  for (const w of r.warnings) printLine(`  warning: ${w}`)
  const windows = r.env.extra?.windows
  if (r.env.kind === 'serial' && Array.isArray(windows)) {
    printLine(`  board ${String(r.env.extra?.board)}, model id ${String(r.env.extra?.modelId)}; median of ${windows.length} windows (board clock):`)
    for (const w of windows as { n: number; elapsedUs: number; latencyUs: number; throughput: number }[]) {
      printLine(`    N ${w.n}, ${formatDuration(w.elapsedUs)}, ${formatDuration(w.latencyUs)}/inference, ${w.throughput.toFixed(1)} inf/s`)
    }
  }
}
