/**
 * The cascade model (the chain joined by the rule's If nodes, the model the device times) stops
 * each sample where the rule says on the unsplit model's outputs, with those outputs — run in ONNX
 * Runtime on real Fashion-MNIST images, on resnet8-ee (also re-stamped to opsets 11 and 18, where
 * the reduce and compare ops take other signatures) and on branchy2, a two-exit PyTorch export.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { CASCADE, cascadeFeed, exitScore, stops, type ExitRule } from '../../common/early-exit.js'
import { StudioError } from '../../common/errors.js'
import { cascadeModel } from '../../main/early-exit/cascade.js'
import { planExits, splitChain } from '../../main/early-exit/graph.js'
import { decodeModel, encodeModel } from '../../main/model/onnx-io.js'
import type { ModelProto } from '../../main/model/proto.js'
import { fashionImages } from '../devices/local/helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const EE = resolve(ROOT, 'resources/models/resnet8-ee.onnx')
const BRANCHY = resolve(ROOT, 'test/fixtures/early-exit/branchy2.onnx')
const N = 48
const images = fashionImages(N)
const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: 1 }

function load(path: string, opset?: number): ModelProto {
  const m = decodeModel(readFileSync(path))
  if (opset) m.opsetImport = m.opsetImport.map((o) => (o.domain ? o : { ...o, version: opset }))
  return m
}

/** Where the rule stops sample i (−1: the final output), and whether a score sits on the threshold. */
function expected(exits: Float32Array[], i: number, classes: number, t: number, rule: ExitRule) {
  let edge = false
  for (const [k, z] of exits.entries()) {
    const s = exitScore(z, i * classes, classes, rule)
    if (Math.abs(s - t) < 1e-6) edge = true
    if (stops(s, t, rule)) return { k, edge }
  }
  return { k: -1, edge }
}

async function check(model: ModelProto, label: string, rule: ExitRule, thresholds: number[]): Promise<number[][]> {
  const plan = planExits(model, label)
  const cascade = await ort.InferenceSession.create(
    encodeModel(cascadeModel(model, splitChain(model, plan), plan, rule)),
    opts,
  )
  const full = await ort.InferenceSession.create(encodeModel(model), opts)
  const outputs = [...plan.exits, plan.final]
  const all = await full.run({ input: new ort.Tensor('float32', images, [N, 1, 28, 28]) }, outputs)
  const ref = outputs.map((o) => all[o]?.data as Float32Array)
  const classes = plan.classes
  const stoppedAt: number[][] = []
  for (const t of thresholds) {
    const feed = new ort.Tensor('float32', [cascadeFeed(t, rule, classes)], [])
    const at: number[] = []
    for (let i = 0; i < N; i++) {
      const x = new ort.Tensor('float32', images.slice(i * 784, (i + 1) * 784), [1, 1, 28, 28])
      const out = await cascade.run({ input: x, [CASCADE.threshold]: feed })
      const k = Number((out[CASCADE.exit]?.data as BigInt64Array)[0])
      const want = expected(ref.slice(0, -1), i, classes, t, rule)
      if (!want.edge) expect(k, `${label} ${rule} t=${t} sample ${i}`).toBe(want.k)
      const y = out[CASCADE.output]?.data as Float32Array
      const r = ref[k >= 0 ? k : outputs.length - 1] as Float32Array
      for (let c = 0; c < classes; c++) expect(Math.abs((y[c] as number) - (r[i * classes + c] as number))).toBeLessThanOrEqual(1e-5)
      at.push(k)
    }
    stoppedAt.push(at)
  }
  await cascade.release()
  await full.release()
  return stoppedAt
}

describe('cascadeModel', () => {
  for (const [label, path, opset] of [
    ['resnet8-ee', EE, undefined],
    ['resnet8-ee at opset 11', EE, 11],
    ['resnet8-ee at opset 18', EE, 18],
    ['branchy2 (two exits)', BRANCHY, undefined],
  ] as const) {
    it(`${label}: stops where the rule says, with the unsplit outputs (maxprob and entropy)`, async () => {
      const model = load(path, opset)
      const max = await check(model, label, 'maxprob', [0, 0.5, 0.8, 0.95, 1])
      // The ends are exact: t = 0 stops everything at the first exit, t = 1 nothing.
      expect(max[0]?.every((k) => k === 0)).toBe(true)
      expect(max.at(-1)?.every((k) => k === -1)).toBe(true)
      // A middle threshold really branches: some samples stop, some run to the end.
      expect(new Set(max.slice(1, -1).flat()).size).toBeGreaterThan(1)
      const ent = await check(model, label, 'entropy', [0, 0.2, 0.5, 1])
      expect(ent[0]?.every((k) => k === -1)).toBe(true)
      expect(ent.at(-1)?.every((k) => k === 0)).toBe(true)
    })
  }

  it('two exits: the later exit takes samples the first one lets through', async () => {
    const [at] = await check(load(BRANCHY), 'branchy2', 'maxprob', [0.56])
    expect(at?.some((k) => k === 1)).toBe(true)
  })

  it('refuses a model that already uses its tensor names, saying what to do', () => {
    const model = load(EE)
    const plan = planExits(model, 'resnet8-ee')
    const segments = splitChain(model, plan)
    const out = model.graph?.output?.[0]
    if (out) out.name = CASCADE.output
    const node = model.graph?.node?.find((n) => n.output?.includes('logits'))
    if (node) node.output = [CASCADE.output]
    try {
      cascadeModel(model, segments, { ...plan, final: CASCADE.output }, 'maxprob')
      throw new Error('expected a refusal')
    } catch (e) {
      expect(e).toBeInstanceOf(StudioError)
      expect((e as StudioError).message).toMatch(/already names a tensor 'edgebench_cascade_logits'.*rename it/)
    }
  })
})
