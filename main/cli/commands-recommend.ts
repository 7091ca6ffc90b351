/**
 * `edgebench recommend`: which measured (model, variant) to put on a device under constraints.
 * Exit 0 with a choice; 1 when nothing meets the constraints (the closest misses are printed);
 * 2 on bad input (unknown device, a unit that does not parse); 130 when a --fill is cancelled.
 */
import type { Command } from 'commander'
import type { FilledRecommendation, RecommendRequest, RecommendResult } from '../../common/api.js'
import { StudioError } from '../../common/errors.js'
import { formatBytes, formatDuration, formatPercent } from '../../common/format.js'
import { describeConstraints, type Constraints, type LatencyStat, type RecommendedModel } from '../../common/recommend.js'
import { parseBytes, parseDuration, parsePercent } from '../../common/units.js'
import { LOCAL_DEVICE } from '../bench/device-registry.js'
import { fillAndRecommend, recommendFor } from '../api/recommend.js'
import { interruptSignal, openStudio } from './context.js'
import { ExitStatus, printJson, printLine, progressBar, table } from './output.js'
import { intOption } from './run-helpers.js'

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean)

interface RecommendFlags {
  device: string
  maxLatency?: string
  maxSize?: string
  maxMemory?: string
  minTop1?: string
  latencyStat: string
  dataset?: string
  models?: string[]
  zoo?: boolean
  fill?: boolean
  grid?: string[]
  limit?: number
  minMs?: number
  threads?: number
  json?: boolean
}

/** The constraints from the flags, every unit parsed strictly (a bad one is exit 2). */
export function constraintsFrom(o: RecommendFlags): Constraints {
  if (o.latencyStat !== 'p50' && o.latencyStat !== 'p90') {
    throw new StudioError('BAD_INPUT', `--latency-stat must be p50 (the median) or p90, not '${o.latencyStat}'.`)
  }
  const k: Constraints = { latencyStat: o.latencyStat as LatencyStat }
  if (o.maxLatency !== undefined) k.maxLatencyUs = parseDuration(o.maxLatency, '--max-latency')
  if (o.maxSize !== undefined) k.maxSizeBytes = parseBytes(o.maxSize, '--max-size')
  if (o.maxMemory !== undefined) k.maxMemoryBytes = parseBytes(o.maxMemory, '--max-memory')
  if (o.minTop1 !== undefined) k.minTop1 = parsePercent(o.minTop1, '--min-top1') / 100
  return k
}

function memoryText(m: RecommendedModel): string {
  if (m.memoryBytes === null) return '—'
  const how = m.memorySource === 'measured' ? 'peak RSS' : m.memorySource === 'firmware' ? 'firmware' : 'estimate'
  return `${formatBytes(m.memoryBytes)} (${how})`
}

function row(m: RecommendedModel, stat: LatencyStat): string[] {
  return [m.modelName, m.variant, formatPercent(m.top1, 2), `${formatDuration(m.latencyUs)} ${stat}`, formatBytes(m.sizeBytes), memoryText(m), m.runIds.map((id) => `#${id}`).join(' ')]
}

const HEAD = ['model', 'variant', 'top-1', 'latency', 'size', 'memory', 'runs']

function printRecommendation(r: RecommendResult): void {
  const on = r.dataset ? ` · top-1 on ${r.dataset}` : ''
  printLine(`Recommendation for ${r.device} (${describeConstraints(r.constraints)}; latency is the ${r.latencyStat === 'p50' ? 'median, p50' : 'p90'})${on}`)
  if (r.choice) {
    const c = r.choice
    printLine(`  → ${c.modelName} (${c.variant}): top-1 ${formatPercent(c.top1, 2)}, ${r.latencyStat} ${formatDuration(c.latencyUs)}, size ${formatBytes(c.sizeBytes)}, memory ${memoryText(c)} · runs ${c.runIds.map((id) => `#${id}`).join(', ')}`)
  } else {
    printLine('  → nothing meets every constraint')
  }
  for (const w of r.why) printLine(`  ${w}`)
  if (r.alternatives.length > 0) {
    printLine('\nRunners-up (also meet every constraint):')
    printLine(table(HEAD, r.alternatives.map((m) => row(m, r.latencyStat))))
  }
  if (r.rejected.length > 0) {
    printLine(r.choice ? '\nRejected (best first) and what they break:' : '\nClosest candidates and what they break:')
    printLine(table([...HEAD, 'breaks'], r.rejected.map((m) => [...row(m, r.latencyStat), m.brokenConstraints.map((b) => b.text).join('; ')])))
  }
  if (r.unmeasured.length > 0) {
    const names = r.unmeasured.slice(0, 8).map((u) => `${u.modelName} (no ${u.missing.join(', no ')})`)
    printLine(`\nNot ranked: ${names.join(', ')}${r.unmeasured.length > 8 ? `, and ${r.unmeasured.length - 8} more` : ''}. Measure them with --fill.`)
  }
}

export function registerRecommend(program: Command): void {
  program
    .command('recommend')
    .description('which measured model and variant to put on a device, under latency/size/memory/accuracy constraints')
    .option('--device <name>', 'the device to recommend for', LOCAL_DEVICE)
    .option('--max-latency <duration>', "latency limit, e.g. 5ms, 800us, 0.2s (the median unless --latency-stat p90)")
    .option('--max-size <size>', 'model file size limit, e.g. 256KiB, 1.5MiB, 300KB')
    .option('--max-memory <size>', 'memory limit (measured peak RSS; on MCU boards the static estimate: peak activations + weights)')
    .option('--min-top1 <percent>', 'minimum top-1 accuracy in percent, e.g. 88')
    .option('--latency-stat <p50|p90>', 'which latency the limit reads', 'p50')
    .option('--dataset <name>', 'accuracy on this dataset only (default: the one the device was evaluated on)')
    .option('--models <names|ids>', 'candidate models, comma-separated (their variants come with them)', list)
    .option('--zoo', 'the bundled model zoo is in the candidates')
    .option('--fill', 'first measure what is missing on the device: sweep-grid variants, benchmarks, evaluations')
    .option('--grid <labels>', 'with --fill: the sweep variants to make (default: the whole grid)', list)
    .option('--limit <n>', 'with --fill: evaluate only the first N samples', intOption('--limit', 1))
    .option('--min-ms <n>', 'with --fill: minimum measuring time per benchmark in ms (default 2000)', intOption('--min-ms', 0))
    .option('--threads <n>', 'with --fill: intra-op threads', intOption('--threads', 1))
    .option('--json', 'machine-readable output')
    .action(runRecommend)
}

function requestFrom(o: RecommendFlags): RecommendRequest {
  return {
    device: o.device,
    constraints: constraintsFrom(o),
    ...(o.dataset !== undefined ? { dataset: o.dataset } : {}),
    ...(o.models ? { models: o.models } : {}),
    ...(o.zoo ? { zoo: true } : {}),
    fill: {
      ...(o.grid ? { grid: o.grid } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.minMs !== undefined ? { latency: { minMs: o.minMs } } : {}),
      ...(o.threads !== undefined ? { session: { threads: o.threads } } : {}),
    },
  }
}

async function runRecommend(o: RecommendFlags, cmd: Command): Promise<void> {
  const req = requestFrom(o)
  const studio = openStudio(cmd)
  let result: RecommendResult
  if (o.fill) {
    const bar = progressBar(`fill ${o.device}`)
    let filled: FilledRecommendation
    try {
      filled = await fillAndRecommend(studio, req, interruptSignal(), (p) => bar.update(p))
    } finally {
      bar.done()
    }
    if (!o.json) {
      printLine(`Filled: ${filled.fill.derived} variant(s) derived, ${filled.fill.runs} run(s) measured${filled.fill.dataset ? ` (accuracy on ${filled.fill.dataset})` : ''}.`)
      for (const f of filled.fill.failed) printLine(`  ${f.step} of ${f.name} failed: ${f.error}`)
    }
    result = filled
  } else {
    result = await recommendFor(studio, req)
  }
  if (o.json) printJson(result)
  else printRecommendation(result)
  if (!result.choice) throw new ExitStatus(1)
}
