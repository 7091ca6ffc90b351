/**
 * `npm run bench:compress`: the compression targets of the issue, measured in one run on this
 * computer and printed as tables.
 * - INT8 static (per-channel, MinMax, uint8 activations, 500 calibration samples) of every zoo model:
 *   quantization time and peak memory (the `edgebench quantize` process, /usr/bin/time), file ratio,
 *   top-1 on the full test split beside FP32, median latency beside FP32 with the speed-up, and the
 *   measured causes where the speed-up is under 1.2×.
 * - FP16 of every zoo model: file ratio and top-1 beside FP32.
 * - Structured 50 % on resnet8: MACs ratio, speed-up, validity.
 * Latency: the local device, 1 thread, optimisation 'all', docs/measurement.md's default rules. A
 * speed-up is the median of per-round ratios FP32 p50 / variant p50 over interleaved rounds
 * (tools/bench/ab.ts), printed with its spread; accuracy is deterministic and measured once.
 *
 *   npm run bench:compress [-- --models resnet8,mobilenetv2] [--rounds 3]
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SESSION_OPTIONS, type BenchResult, type EvalResult } from '../../common/types.js'
import { explainSpeed } from '../../main/compress/explain-speed.js'
import { parseRecipe } from '../../main/compress/recipe.js'
import { Studio } from '../../main/studio.js'
import { graphOf, loadModel } from '../../main/model/index.js'
import { ElemType, tensorBytes } from '../../main/model/tensor.js'
import { abRounds, ratioOf, type RatioSummary } from './ab.js'

const root = resolve(import.meta.dirname, '../..')
const out = (s = ''): void => void process.stdout.write(`${s}\n`)
const { values } = parseArgs({ options: { models: { type: 'string' }, rounds: { type: 'string', default: '3' } } })
const rounds = Number(values.rounds)
const zoo = readdirSync(join(root, 'resources/models')).filter((f) => f.endsWith('.onnx')).map((f) => f.replace(/\.onnx$/, ''))
const models = values.models ? values.models.split(',') : zoo
const dir = mkdtempSync(join(tmpdir(), 'edgebench-bench-compress-'))
const db = join(dir, 'studio.db')
const pct = (x: number, d = 1): string => `${(x * 100).toFixed(d)} %`

/** `edgebench quantize` in its own process: wall time and peak RSS as the user would see them. */
function quantizeCli(model: string, outPath: string): { seconds: number; peakMiB: number; json: { modelId: number } } {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, join(root, 'bin/edgebench.mjs'), '--db', db, 'quantize', join(root, 'resources/models', `${model}.onnx`), '--mode', 'int8-static', '--samples', '500', '-o', outPath, '--json'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`quantize ${model} failed: ${r.stderr}`)
  const [kb, secs] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number)
  return { seconds: secs ?? NaN, peakMiB: (kb ?? NaN) / 1024, json: JSON.parse(r.stdout) as { modelId: number } }
}

/** Bytes of a QDQ model's int8 weights and of its per-channel metadata (float scales, int32 biases). */
async function sizeSplit(path: string): Promise<{ int8Weights: number; meta: number }> {
  const g = graphOf(await loadModel(path))
  let int8Weights = 0
  let meta = 0
  for (const t of g.initializer) {
    if (t.dataType === ElemType.INT8 && t.dims.length >= 2) int8Weights += tensorBytes(t)
    else if (t.dims.length === 1 && (t.dataType === ElemType.FLOAT || t.dataType === ElemType.INT32)) meta += tensorBytes(t)
  }
  return { int8Weights, meta }
}

const studio = Studio.open({ dbPath: db })
try {
  const byName = new Map((await studio.ensureZoo()).map((m) => [m.name, m]))
  const p50Of = async (modelId: number): Promise<number> => {
    const bench = await studio.runAndWait({ kind: 'bench', modelId, deviceName: 'local', session: DEFAULT_SESSION_OPTIONS })
    if (bench.status !== 'finished') throw new Error(`run failed: ${bench.error}`)
    return (bench.result as BenchResult).latencyUs.p50
  }
  const top1Of = async (modelId: number): Promise<number> => {
    const ev = await studio.runAndWait({ kind: 'eval', modelId, deviceName: 'local', session: DEFAULT_SESSION_OPTIONS, dataset: 'fashion-mnist' })
    if (ev.status !== 'finished') throw new Error(`run failed: ${ev.error}`)
    return (ev.result as EvalResult).top1
  }
  /** Parent and variant in interleaved rounds; the speed-up is per round parent/variant. */
  const speed = async (parentId: number, variantId: number): Promise<{ p50: number; vp50: number; speedup: RatioSummary }> => {
    const r = await abRounds({ rounds, a: () => p50Of(parentId), b: () => p50Of(variantId) })
    return { p50: r.aMedian, vp50: r.bMedian, speedup: ratioOf(r.b, r.a) }
  }
  const fmtSpeed = (s: RatioSummary): string => `${s.ratio.toFixed(2)}× (${s.spread[0].toFixed(2)}–${s.spread[1].toFixed(2)})`
  out('INT8 static, per-channel, MinMax, uint8 activations, 500 calibration samples; latency p50 on this computer, 1 thread')
  out('| model | quantize time | peak RSS | file INT8/FP32 (int8 weights + per-channel scales/bias + graph) | top-1 FP32 | top-1 INT8 | Δ | p50 FP32 | p50 INT8 | speed-up (spread over rounds) |')
  out('|---|---|---|---|---|---|---|---|---|---|')
  const whys: string[] = []
  const fp16Rows: string[] = []
  for (const name of models) {
    const parent = byName.get(name)
    if (!parent) throw new Error(`no zoo model ${name}`)
    const q = quantizeCli(name, join(dir, `${name}-int8.onnx`))
    const variant = studio.store.getModel(q.json.modelId)
    if (!variant) throw new Error('variant not stored')
    const sp = await speed(parent.id, variant.id)
    const f = { p50: sp.p50, top1: await top1Of(parent.id) }
    const v = { p50: sp.vp50, top1: await top1Of(variant.id) }
    const report = await studio.deriveVariant(parent.id, parseRecipe({ method: 'int8-static' }), { outPath: join(dir, `${name}-int8b.onnx`) })
    const speedup = sp.speedup.ratio
    const ratio = report.report.fileBytes / report.report.parent.fileBytes
    const fp32Bytes = report.report.parent.fileBytes
    const { int8Weights, meta } = await sizeSplit(report.report.file)
    const split = `${pct(ratio)} (${pct(int8Weights / fp32Bytes)} + ${pct(meta / fp32Bytes)} + ${pct((report.report.fileBytes - int8Weights - meta) / fp32Bytes)})`
    out(`| ${name} | ${q.seconds.toFixed(1)} s | ${q.peakMiB.toFixed(0)} MiB | ${split} | ${pct(f.top1, 2)} | ${pct(v.top1, 2)} | ${((v.top1 - f.top1) * 100).toFixed(2)} pt | ${f.p50.toFixed(1)} µs | ${v.p50.toFixed(1)} µs | ${fmtSpeed(sp.speedup)} |`)
    const qr = report.report.quantization
    if (qr && speedup < 1.2) {
      const why = explainSpeed({ speedup, fallback: qr.fallback, boundaries: qr.boundaries, activationType: qr.activationType, dynamic: false, addedTransposes: qr.addedTransposes, depthwiseMacShare: qr.depthwiseMacShare, fp32P50Us: f.p50 })
      whys.push(`- ${name} (${speedup.toFixed(2)}×): ${why.join(' ')}`)
    }
    const h = await studio.deriveVariant(parent.id, parseRecipe({ method: 'fp16' }))
    const hs = await speed(parent.id, h.model.id)
    const hv = { p50: hs.vp50, top1: await top1Of(h.model.id) }
    fp16Rows.push(`| ${name} | ${pct(h.report.fileBytes / h.report.parent.fileBytes)} | ${pct(f.top1, 2)} | ${pct(hv.top1, 2)} | ${((hv.top1 - f.top1) * 100).toFixed(2)} pt | ${hv.p50.toFixed(1)} µs | ${fmtSpeed(hs.speedup)} |`)
  }
  out()
  if (whys.length > 0) {
    out('Why INT8 is under 1.2× faster:')
    for (const w of whys) out(w)
    out()
  }
  out('FP16 (weights float16; compute float32 where ORT CPU has no float16 kernel)')
  out('| model | file FP16/FP32 | top-1 FP32 | top-1 FP16 | Δ | p50 FP16 | speed-up (spread) |')
  out('|---|---|---|---|---|---|---|')
  for (const r of fp16Rows) out(r)
  out()
  const r8 = byName.get('resnet8')
  if (r8) {
    const s = await studio.deriveVariant(r8.id, parseRecipe({ method: 'prune-structured', ratio: 0.5 }))
    const sp = await speed(r8.id, s.model.id)
    out(`Structured 50 % on resnet8: MACs ${pct(s.report.macs / s.report.parent.macs)} of the parent, file ${pct(s.report.fileBytes / s.report.parent.fileBytes)}, p50 ${sp.p50.toFixed(1)} → ${sp.vp50.toFixed(1)} µs = ${fmtSpeed(sp.speedup)} faster (median of ${rounds} interleaved rounds), loads and runs in ORT`)
  }
} finally {
  await studio.close()
}
