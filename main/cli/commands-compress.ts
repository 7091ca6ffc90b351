/** `quantize`, `prune` and `sweep`: compressed variants, stored with their lineage. */
import { basename, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { StudioError } from '../../common/errors.js'
import { CRITERIA, RECOVER_METHODS } from '../../common/compress.js'
import { formatBytes, formatCount, formatDuration, formatPercent } from '../../common/format.js'
import { LOCAL_DEVICE } from '../bench/device-registry.js'
import type { VariantReport } from '../compress/derive.js'
import { parseRecipe, recipeLabel, type RecipeInput } from '../compress/recipe.js'
import { DEFAULT_SWEEP, type SweepResult } from '../compress/sweep.js'
import { interruptSignal, openStudio } from './context.js'
import { printJson, printLine, progressBar, table } from './output.js'
import { latencyFrom } from '../bench/run-spec.js'
import { intOption, sessionFromFlags, type LatencyFlags, type SessionFlags } from './run-helpers.js'
import { addPreprocessFlags, preprocessFromFlags, type PreprocessFlags } from './preprocess-flags.js'
import type { PreprocessingRequest } from '../../common/preprocessing.js'

/** A number; whether it lies in (0, 1) is the recipe's check, so a bad one is one line on stderr (exit 2). */
function ratioOption(name: string) {
  return (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || Number.isNaN(n)) throw new StudioError('BAD_INPUT', `${name} must be a fraction between 0 and 1 (exclusive), e.g. 0.5; got '${value}'.`)
    return n
  }
}

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean)

/** What `--json` prints for a variant: the file and its figures, lineage and explanation. */
function variantJson(report: VariantReport, modelId: number): Record<string, unknown> {
  const q = report.quantization
  return {
    variant: report.file,
    modelId,
    label: report.label,
    recipe: report.recipe,
    params: report.params,
    macs: report.macs,
    fileBytes: report.fileBytes,
    gzipBytes: report.gzipBytes,
    parent: report.parent,
    ratios: {
      fileBytes: report.fileBytes / report.parent.fileBytes,
      gzipBytes: report.gzipBytes / report.parent.gzipBytes,
      macs: report.parent.macs > 0 ? report.macs / report.parent.macs : null,
    },
    seconds: report.seconds,
    ...(q
      ? {
          fallback: q.fallback,
          quantizedNodes: q.quantizedNodes,
          boundaries: q.boundaries,
          agreement: q.agreement,
          layers: q.layers,
          ...(q.calibration ? { calibration: q.calibration } : {}),
          ...(q.activationType ? { activationType: q.activationType } : {}),
        }
      : {}),
    ...(report.fp16 ? { fp16: report.fp16 } : {}),
    ...(report.prune ? { prune: report.prune } : {}),
    notes: report.notes,
  }
}

interface PruneFlags {
  structured?: number
  targetMacs?: number
  unstructured?: number
  criterion: string
  recover?: string
  calibration?: string
  samples?: number
  scope: string
  output: string
  json?: boolean
}

function pruneRecipe(o: PruneFlags): RecipeInput {
  const given = [o.structured, o.targetMacs, o.unstructured].filter((v) => v !== undefined).length
  if (given !== 1) {
    throw new StudioError('BAD_INPUT', 'Give exactly one of --structured <ratio>, --target-macs <fraction> or --unstructured <sparsity>.')
  }
  if (o.unstructured !== undefined) return { method: 'prune-unstructured', sparsity: o.unstructured, scope: o.scope as 'global' }
  return {
    method: 'prune-structured',
    ...(o.structured !== undefined ? { ratio: o.structured } : { targetMacs: o.targetMacs }),
    criterion: o.criterion as 'l1',
    ...(o.recover ? { recover: o.recover as 'ls' } : {}),
    ...(o.calibration ? { calibration: o.calibration } : {}),
    ...(o.samples ? { samples: o.samples } : {}),
  }
}

function printVariant(r: VariantReport): void {
  const pct = (a: number, b: number): string => (b > 0 ? formatPercent(a / b) : 'n/a')
  printLine(`${r.file} (${r.label}) in ${r.seconds.toFixed(1)} s`)
  printLine(`  file ${formatBytes(r.fileBytes)} (${pct(r.fileBytes, r.parent.fileBytes)} of ${formatBytes(r.parent.fileBytes)}), gzip ${formatBytes(r.gzipBytes)} (${pct(r.gzipBytes, r.parent.gzipBytes)})`)
  printLine(`  ${formatCount(r.params)} params, ${formatCount(r.macs)} MACs (${pct(r.macs, r.parent.macs)} of the parent's)`)
  const q = r.quantization
  if (q) {
    printLine(`  ${q.quantizedNodes.length} nodes run int8 in ONNX Runtime, ${q.fallback.length} fall back to float, ${q.boundaries} float↔int8 conversions per inference`)
    for (const f of q.fallback.slice(0, 10)) printLine(`    float: ${f.name} (${f.op}): ${f.reason}`)
    printLine(`  top-1 agreement with FP32 ${formatPercent(q.agreement.top1, 2)} on ${q.agreement.samples} samples, mean logit cosine ${q.agreement.meanCosine.toFixed(4)}`)
    const worst = [...q.layers].sort((a, b) => a.cosine - b.cosine).slice(0, 3)
    for (const l of worst) printLine(`    drift: ${l.tensor} cosine ${l.cosine.toFixed(4)}, relative L2 ${l.relativeL2.toFixed(3)}`)
  }
  if (r.prune) printPrune(r.prune)
  for (const n of r.notes) printLine(`  note: ${n}`)
}

function printPrune(p: NonNullable<VariantReport['prune']>): void {
  if (p.calibration) printLine(`  calibration: ${p.calibration.samples} samples of ${p.calibration.dataset} ${p.calibration.split}`)
  if (p.sensitivity) {
    printLine(`  sensitivity scan (output drift, KL, on ${p.sensitivity.samples} samples) and the ratio each group got:`)
    for (const g of p.sensitivity.groups) {
      const points = g.points.map((x) => `${Math.round(x.ratio * 100)} %: ${x.drift.toFixed(3)}`).join(', ')
      printLine(`    ${formatPercent(g.chosen, 0).padStart(5)}  ${g.name} (${g.channels} ch; ${points})`)
    }
  }
  for (const s of p.skipped.slice(0, 10)) printLine(`  left alone: ${s.name}: ${s.reason}`)
}

async function derive(
  cmd: Command,
  model: string,
  recipe: RecipeInput,
  out: string,
  json: boolean | undefined,
  preprocessing?: PreprocessingRequest,
): Promise<void> {
  const parsed = parseRecipe(recipe)
  const studio = openStudio(cmd)
  const bar = json ? null : progressBar(basename(model, '.onnx'))
  // A file not stored yet is stored only when the variant is made: a refusal leaves the store as it was.
  const { model: row, report } = await studio.deriveFromFile(model, parsed, {
    outPath: resolve(out),
    ...(preprocessing ? { preprocessing } : {}),
    signal: interruptSignal(),
    ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
  })
  bar?.done()
  if (json) return printJson(variantJson(report, row.id))
  printVariant(report)
}

export function registerCompress(program: Command): void {
  addPreprocessFlags(
    program.command('quantize <model>').description('an INT8 (static QDQ or dynamic) or FP16 variant of an ONNX model'),
    'for calibration',
    false,
  )
    .addOption(new Option('--mode <mode>', 'quantization mode').choices(['int8-static', 'int8-dynamic', 'fp16']).makeOptionMandatory())
    .option('--calibration <dataset|dir>', "calibration data (default: the model's dataset, calibration split)")
    .addOption(new Option('--calibrator <name>', 'activation range method').choices(['minmax', 'percentile', 'entropy']).default('minmax'))
    .option('--samples <n>', 'calibration samples (default 500)', intOption('--samples', 1))
    .option('--per-tensor', 'one weight scale per tensor instead of per output channel')
    .addOption(new Option('--activation-type <type>', 'activation integer type').choices(['uint8', 'int8']).default('uint8'))
    .option('--exclude <nodes>', 'comma-separated node names to keep in float', list)
    .requiredOption('-o, --output <file>', 'where to write the variant (.onnx)')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: Omit<PreprocessFlags, 'output'> & { mode: string; calibration?: string; calibrator: string; samples?: number; perTensor?: boolean; activationType: string; exclude?: string[]; output: string; json?: boolean }, cmd: Command) => {
      const perChannel = !o.perTensor
      const exclude = o.exclude ?? []
      const recipe: RecipeInput =
        o.mode === 'fp16'
          ? { method: 'fp16' }
          : o.mode === 'int8-dynamic'
            ? { method: 'int8-dynamic', perChannel, exclude, ...(o.calibration ? { calibration: o.calibration } : {}) }
            : {
                method: 'int8-static',
                calibrator: o.calibrator as 'minmax',
                perChannel,
                activationType: o.activationType as 'uint8',
                exclude,
                ...(o.calibration ? { calibration: o.calibration } : {}),
                ...(o.samples ? { samples: o.samples } : {}),
              }
      // -o is the variant's file here, so the classifier output is not a flag of quantize.
      await derive(cmd, model, recipe, o.output, o.json, await preprocessFromFlags({ ...o, output: undefined }))
    })

  addPreprocessFlags(
    program
      .command('prune <model>')
      .description('a pruned variant: structured (channels removed, layers refitted on calibration data) or unstructured (weights zeroed)'),
    'for calibration',
    false,
  )
    .option('--structured <ratio>', 'remove this fraction of each prunable group of output channels', ratioOption('--structured'))
    .option('--target-macs <fraction>', 'structured, ratios per group from a sensitivity scan so the variant keeps this fraction of the MACs', ratioOption('--target-macs'))
    .addOption(new Option('--criterion <name>', 'channel importance (structured)').choices([...CRITERIA]).default('l1'))
    .addOption(new Option('--recover <method>', 'refit pruned layers on calibration data: least squares, bias only, or not at all (default: ls when there is calibration data)').choices([...RECOVER_METHODS]))
    .option('--calibration <dataset|dir>', "calibration data (default: the model's dataset; its calibration or train split, never test)")
    .option('--samples <n>', 'calibration samples for recovery and the activation criterion (default 500)', intOption('--samples', 1))
    .option('--unstructured <sparsity>', 'zero this fraction of the weights by magnitude', ratioOption('--unstructured'))
    .addOption(new Option('--scope <scope>', 'unstructured threshold: one global or per layer').choices(['global', 'per-layer']).default('global'))
    .requiredOption('-o, --output <file>', 'where to write the variant (.onnx)')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: PruneFlags & Omit<PreprocessFlags, 'output'>, cmd: Command) => {
      // -o is the variant's file here, so the classifier output is not a flag of prune.
      await derive(cmd, model, pruneRecipe(o), o.output, o.json, await preprocessFromFlags({ ...o, output: undefined }))
    })

  addPreprocessFlags(
    program.command('sweep <model>').description('derive a grid of variants (fp16, int8, pruned) and measure latency, size and accuracy of all'),
    'for this sweep',
  )
    .option('--device <name>', 'device(s) to run on, comma-separated', list, [LOCAL_DEVICE])
    .option('--dataset <name>', "accuracy dataset (default: the model's)")
    .option('--limit <n>', 'evaluate only the first N samples', intOption('--limit', 1))
    .option('--grid <labels>', `variants to make, comma-separated (default all: ${DEFAULT_SWEEP.map((r) => recipeLabel(parseRecipe(r))).join(',')})`, list)
    .option('--threads <n>', 'intra-op threads', intOption('--threads', 1))
    .option('--min-runs <n>', 'minimum timed runs per variant (default 200)', intOption('--min-runs', 1))
    .option('--min-ms <n>', 'minimum measuring time per variant in ms (default 2000)', intOption('--min-ms', 0))
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: SessionFlags & LatencyFlags & PreprocessFlags & { device: string[]; dataset?: string; limit?: number; grid?: string[]; json?: boolean }, cmd: Command) => {
      const byLabel = new Map(DEFAULT_SWEEP.map((r) => [recipeLabel(parseRecipe(r)), r]))
      const unknown = (o.grid ?? []).filter((g) => !byLabel.has(g))
      if (unknown.length > 0) {
        throw new StudioError('BAD_INPUT', `Unknown sweep variant(s) ${unknown.join(', ')}; choose from ${[...byLabel.keys()].join(', ')}.`)
      }
      const recipes = o.grid?.map((g) => byLabel.get(g) as RecipeInput)
      const preprocessing = await preprocessFromFlags(o)
      const studio = openStudio(cmd)
      const parent = await studio.importModel(model)
      if (preprocessing) await studio.checkRunPreprocessing(parent.id, preprocessing)
      const bar = o.json ? null : progressBar(`sweep ${parent.name}`)
      const result = await studio.sweep(parent.id, {
        devices: o.device,
        session: sessionFromFlags(o),
        latency: latencyFrom(o),
        ...(o.dataset ? { dataset: o.dataset } : {}),
        ...(o.limit ? { limit: o.limit } : {}),
        ...(recipes ? { recipes } : {}),
        ...(preprocessing ? { preprocessing } : {}),
        signal: interruptSignal(),
        ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
      })
      bar?.done()
      if (o.json) return printJson(result)
      printSweep(result)
    })
}

function printSweep(r: SweepResult): void {
  printLine(
    table(
      ['variant', 'device', 'p50', 'speed-up', 'top-1', 'Δ top-1', 'MACs', 'file', 'gzip', 'note'],
      r.rows.map((x) => [
        x.label,
        x.device,
        x.p50Us === null ? '—' : formatDuration(x.p50Us),
        x.speedup === null ? '—' : `${x.speedup.toFixed(2)}×`,
        x.top1 === null ? '—' : formatPercent(x.top1, 2),
        x.top1Delta === null ? '—' : `${x.top1Delta >= 0 ? '+' : ''}${(x.top1Delta * 100).toFixed(2)} pt`,
        formatCount(x.macs),
        formatBytes(x.fileBytes),
        formatBytes(x.gzipBytes),
        x.error ?? '',
      ]),
    ),
  )
  for (const x of r.rows) for (const w of x.why) printLine(`why ${x.label} is not faster: ${w}`)
}
