/**
 * `npm run bench:prune`: the pruning targets of issue 12, measured in one run on this computer.
 * - resnet8 at --target-macs 0.5 and 0.25 with recovery: top-1 on the full Fashion-MNIST test split.
 * - The accuracy-vs-MACs curve, targets 0.9 → 0.2, for resnet8, mobilenetv2 and densenet, with
 *   least-squares recovery and without.
 * - Every zoo model pruned with recovery (--target-macs 0.5): wall time and peak RSS of the
 *   `edgebench prune` process (/usr/bin/time), as a user would see them.
 * - Every architecture of the torchvision corpus (tools/corpus/export.py --full, git-ignored
 *   cache) at --structured 0.5: loads in ONNX Runtime, keeps the output shape, MACs ≤ 60 %.
 * Timings are one run each, on a machine that may be shared: the load average is printed with them.
 *
 *   npm run bench:prune [-- --curve-models resnet8 --points 0.9,0.5,0.2 --skip-timing --skip-corpus]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { DEFAULT_SESSION_OPTIONS, type EvalResult } from '../../common/types.js'
import { pruneStructured } from '../../main/compress/prune-structured.js'
import { encodeModel, graphOf, inspectDecoded, loadModel } from '../../main/model/index.js'
import { Studio } from '../../main/studio.js'

const root = resolve(import.meta.dirname, '../..')
const out = (s = ''): void => void process.stdout.write(`${s}\n`)
const { values } = parseArgs({
  options: {
    'curve-models': { type: 'string', default: 'resnet8,mobilenetv2,densenet' },
    points: { type: 'string', default: '0.9,0.8,0.7,0.6,0.5,0.4,0.3,0.2' },
    'skip-curve': { type: 'boolean' },
    'skip-timing': { type: 'boolean' },
    'skip-corpus': { type: 'boolean' },
  },
})
const dir = mkdtempSync(join(tmpdir(), 'edgebench-bench-prune-'))
const db = join(dir, 'studio.db')
const pct = (x: number | null | undefined, d = 1): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(d)} %`)
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' / ')

interface PruneJson {
  variant: string
  modelId: number
  ratios: { macs: number }
  prune: { recovery?: { method: string; layers: number }; calibration?: { dataset: string; split: string; samples: number } }
}

/** `edgebench prune` in its own process: wall time and peak RSS as the user would see them. */
function pruneCli(model: string, args: string[], label: string): { seconds: number; peakMiB: number; json: PruneJson } {
  const outPath = join(dir, `${model}-${label}.onnx`)
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, join(root, 'bin/edgebench.mjs'), '--db', db, 'prune', join(root, 'resources/models', `${model}.onnx`), ...args, '-o', outPath, '--json'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`prune ${model} ${args.join(' ')} failed: ${r.stderr}`)
  const [kb, secs] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number)
  return { seconds: secs ?? NaN, peakMiB: (kb ?? NaN) / 1024, json: JSON.parse(r.stdout) as PruneJson }
}

const studio = Studio.open({ dbPath: db })
const top1 = async (modelId: number): Promise<number> => {
  const run = await studio.runAndWait({ kind: 'eval', modelId, deviceName: 'local', session: DEFAULT_SESSION_OPTIONS, dataset: 'fashion-mnist' })
  if (run.status !== 'finished') throw new Error(`evaluation of model ${modelId} ended ${run.status}: ${run.error ?? ''}`)
  return (run.result as EvalResult).top1
}

try {
  const zoo = new Map((await studio.ensureZoo()).filter((m) => m.parentId === null).map((m) => [m.name, m]))
  out(`# bench:prune — ${new Date().toISOString()} — load average ${load()} (2 cores, shared: timings are noisy)`)
  out()
  out('## Targets: resnet8 with least-squares recovery (top-1 on the full 10,000-image test split)')
  out()
  out('| target | MACs of parent | top-1 | parent top-1 | prune time | peak RSS |')
  out('| ---: | ---: | ---: | ---: | ---: | ---: |')
  const parentTop1 = await top1(zoo.get('resnet8')!.id)
  for (const target of [0.5, 0.25]) {
    const r = pruneCli('resnet8', ['--target-macs', String(target)], `m${target * 100}`)
    out(`| ${target} | ${pct(r.json.ratios.macs)} | ${pct(await top1(r.json.modelId), 2)} | ${pct(parentTop1, 2)} | ${r.seconds.toFixed(1)} s | ${r.peakMiB.toFixed(0)} MiB |`)
  }
  if (!values['skip-curve']) {
    const points = (values.points ?? '').split(',').map(Number)
    for (const model of (values['curve-models'] ?? '').split(',')) {
      out()
      out(`## Curve: ${model} (parent ${pct(await top1(zoo.get(model)!.id), 2)}), --target-macs t, with and without recovery`)
      out()
      out('| target | MACs of parent | top-1 no recovery | top-1 least squares |')
      out('| ---: | ---: | ---: | ---: |')
      for (const t of points) {
        const none = pruneCli(model, ['--target-macs', String(t), '--recover', 'none'], `m${t * 100}-none`)
        const ls = pruneCli(model, ['--target-macs', String(t), '--recover', 'ls'], `m${t * 100}-ls`)
        out(`| ${t} | ${pct(ls.json.ratios.macs)} | ${pct(await top1(none.json.modelId), 2)} | ${pct(await top1(ls.json.modelId), 2)} |`)
      }
    }
  }
  if (!values['skip-timing']) {
    out()
    out(`## Every zoo model, --target-macs 0.5 with recovery: the prune process (target < 30 s, < 1 GB) — load average ${load()}`)
    out()
    out('| model | MACs of parent | wall time | peak RSS | layers refitted | calibration |')
    out('| --- | ---: | ---: | ---: | ---: | --- |')
    for (const model of [...zoo.keys()].sort()) {
      const r = pruneCli(model, ['--target-macs', '0.5'], 'timing')
      const rec = r.json.prune.recovery
      const cal = r.json.prune.calibration
      out(`| ${model} | ${pct(r.json.ratios.macs)} | ${r.seconds.toFixed(1)} s | ${r.peakMiB.toFixed(0)} MiB | ${rec?.layers ?? 0} (${rec?.method ?? '—'}) | ${cal ? `${cal.samples} of ${cal.dataset} ${cal.split}` : '—'} |`)
    }
  }
  if (!values['skip-corpus']) await corpus()
} finally {
  await studio.close()
}

/** The torchvision corpus at --structured 0.5: loads, keeps the output shape, ≤ 60 % of the MACs. */
async function corpus(): Promise<void> {
  const cache = join(root, 'tools/corpus/.cache')
  out()
  out('## torchvision corpus at --structured 0.5 (full width, 224×224; target: loads, same output shape, MACs ≤ 60 %)')
  out()
  if (!existsSync(cache)) {
    out('(no corpus: run `/usr/bin/python3 tools/corpus/export.py --full` first)')
    return
  }
  out('| architecture | MACs of parent | output shape | loads | groups pruned / left alone |')
  out('| --- | ---: | --- | --- | --- |')
  for (const f of readdirSync(cache).filter((n) => n.endsWith('.onnx')).sort()) {
    const parent = await loadModel(join(cache, f))
    const { model, report } = pruneStructured(parent, { ratio: 0.5 })
    const [a, b] = [await inspectDecoded(parent, encodeModel(parent)), await inspectDecoded(model, encodeModel(model))]
    const shape = async (m: typeof parent): Promise<string> => {
      const s = await ort.InferenceSession.create(encodeModel(m), { intraOpNumThreads: 1, logSeverityLevel: 3 })
      try {
        const dims = (graphOf(m).input[0]?.type?.tensorType?.shape?.dim ?? []).map((d, i) => (i === 0 ? 1 : Number(d.dimValue)))
        const x = new ort.Tensor('float32', new Float32Array(dims.reduce((p, q) => p * q, 1)).fill(0.1), dims)
        const r = await s.run({ [s.inputNames[0] ?? '']: x })
        return JSON.stringify(r[s.outputNames[0] ?? '']?.dims)
      } finally {
        await s.release()
      }
    }
    const [sa, sb] = [await shape(parent), await shape(model)]
    out(`| ${f.replace(/\.onnx$/, '')} | ${pct(b.macs / a.macs)} | ${sb}${sa === sb ? '' : ` (parent ${sa})`} | yes | ${report.layers.length} / ${report.skipped.length} |`)
  }
}
