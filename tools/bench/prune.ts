/**
 * Structured-pruning figures: ORT latency of a zoo model against its structured-pruned variant
 * (1 thread, graphOptimizationLevel 'all', batch 1, median of interleaved timed runs after a
 * warm-up), plus MACs ratio and what the analysis left alone for every zoo model.
 *
 *   node --import tsx tools/bench/prune.ts [--model resnet8] [--ratio 0.5] [--runs 400]
 */
import { readdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { pruneStructured } from '../../main/compress/prune-structured.js'
import { encodeModel, inspectDecoded, loadModel, type ModelProto } from '../../main/model/index.js'

const out = (s: string): void => void process.stdout.write(s + '\n')
const { values } = parseArgs({
  options: { model: { type: 'string', default: 'resnet8' }, ratio: { type: 'string', default: '0.5' }, runs: { type: 'string', default: '400' } },
})
const ZOO = new URL('../../resources/models/', import.meta.url).pathname
const ratio = Number(values.ratio)
const runs = Number(values.runs)

async function session(model: ModelProto): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(model), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  })
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}

/** Alternates the two sessions in blocks of 10 so load from other processes hits both alike. */
async function timePair(a: ort.InferenceSession, b: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<[number[], number[]]> {
  const ta: number[] = []
  const tb: number[] = []
  for (let i = 0; i < 50; i++) {
    await a.run(feeds)
    await b.run(feeds)
  }
  while (ta.length < runs) {
    for (const [s, t] of [[a, ta], [b, tb]] as const) {
      for (let i = 0; i < 10; i++) {
        const t0 = process.hrtime.bigint()
        await s.run(feeds)
        t.push(Number(process.hrtime.bigint() - t0) / 1e6)
      }
    }
  }
  return [ta, tb]
}

async function main(): Promise<void> {
  const parent = await loadModel(`${ZOO}${values.model}.onnx`)
  const { model: child } = pruneStructured(parent, { ratio })
  const [pi, ci] = await Promise.all([inspectDecoded(parent, encodeModel(parent)), inspectDecoded(child, encodeModel(child))])
  const feeds = { input: new ort.Tensor('float32', new Float32Array(28 * 28).fill(0.3), [1, 1, 28, 28]) }
  const [tp, tc] = await timePair(await session(parent), await session(child), feeds)
  const mp = median(tp)
  const mc = median(tc)
  out(`${values.model} structured ${ratio * 100} %: ${runs} runs each, 1 thread, optimisation 'all', batch 1`)
  out(`  parent median ${mp.toFixed(4)} ms, pruned median ${mc.toFixed(4)} ms, speed-up ${(mp / mc).toFixed(2)}×`)
  out(`  MACs ${pi.macs} → ${ci.macs} (${((100 * ci.macs) / pi.macs).toFixed(1)} %), params ${pi.params} → ${ci.params}, file ${pi.fileBytes} → ${ci.fileBytes} bytes`)
  out('')
  out(`every zoo model at structured ${ratio * 100} %:`)
  for (const f of readdirSync(ZOO).filter((x) => x.endsWith('.onnx')).sort()) {
    const m = await loadModel(ZOO + f)
    const { model, report } = pruneStructured(m, { ratio })
    const [a, b] = await Promise.all([inspectDecoded(m, encodeModel(m)), inspectDecoded(model, encodeModel(model))])
    const reasons = new Map<string, number>()
    for (const s of report.skipped) {
      const key = s.reason.replace(/'[^']*'/g, "'…'")
      reasons.set(key, (reasons.get(key) ?? 0) + 1)
    }
    out(`  ${f.padEnd(18)} MACs ${((100 * b.macs) / a.macs).toFixed(1).padStart(5)} %  groups pruned ${report.layers.length}, skipped ${report.skipped.length}`)
    for (const [r, n] of reasons) out(`      ${n} × ${r}`)
  }
}

await main()
