/**
 * Early-exit models as graphs: exits found and costed, and the chain of segments reproducing the
 * unsplit model on real inputs in ONNX Runtime — on the zoo's resnet8-ee and on branchy2, a
 * two-exit PyTorch export nobody on the team trained (test/fixtures/early-exit/make_fixtures.py).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { planExits, splitChain } from '../../main/early-exit/graph.js'
import { decodeModel, encodeModel } from '../../main/model/onnx-io.js'
import type { ModelProto } from '../../main/model/proto.js'
import { fashionImages } from '../devices/local/helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const EE = resolve(ROOT, 'resources/models/resnet8-ee.onnx')
const BRANCHY = resolve(ROOT, 'test/fixtures/early-exit/branchy2.onnx')
const load = (path: string): ModelProto => decodeModel(readFileSync(path))
const card = JSON.parse(readFileSync(resolve(ROOT, 'resources/models/resnet8-ee.json'), 'utf8')) as {
  macs: number
  earlyExit: { exits: { output: string; macs: number }[] }
}

function failure(fn: () => unknown): StudioError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError)
    return e as StudioError
  }
  throw new Error('expected a failure')
}

/** Runs the unsplit model and the chain (all segments) on the same batch; returns both per output. */
async function runBoth(
  model: ModelProto,
  exits: string[],
  final: string,
  x: ort.Tensor,
): Promise<[ort.InferenceSession.ReturnType, Map<string, ort.Tensor>]> {
  const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: 1 }
  const full = await ort.InferenceSession.create(encodeModel(model), opts)
  const want = await full.run({ input: x }, [...exits, final])
  const have = new Map<string, ort.Tensor>([['input', x]])
  for (const seg of splitChain(model, { exits, final })) {
    const s = await ort.InferenceSession.create(encodeModel(seg.model), opts)
    const feeds = Object.fromEntries(seg.inputs.map((n) => [n, have.get(n) as ort.Tensor]))
    const out = await s.run(feeds, seg.outputs)
    for (const n of seg.outputs) have.set(n, out[n] as ort.Tensor)
    await s.release()
  }
  await full.release()
  return [want, have]
}

describe('planExits', () => {
  it('resnet8-ee: exit1 before logits, MACs exactly the card’s (PyTorch hooks)', () => {
    const plan = planExits(load(EE), 'resnet8-ee')
    expect(plan).toEqual({
      final: 'logits',
      exits: ['exit1'],
      classes: 10,
      exitMacs: [card.earlyExit.exits[0]?.macs],
      fullMacs: card.macs,
    })
  })

  it('branchy2: exit* outputs in cascade order whatever their order in the file; others only when chosen', () => {
    const model = load(BRANCHY)
    const plan = planExits(model, 'branchy2')
    expect(plan.final).toBe('logits')
    expect(plan.exits).toEqual(['exit_a', 'exit_b'])
    const [a, b] = plan.exitMacs as [number, number]
    expect(a).toBeGreaterThan(0)
    expect(b).toBeGreaterThan(a)
    expect(plan.fullMacs).toBeGreaterThan(b)
    const aux = planExits(model, 'branchy2', ['aux'])
    expect(aux.exits).toEqual(['aux'])
    // A chosen head is not taken for the final output, and costs less than the full network.
    expect(aux.final).toBe('logits')
    expect(aux.fullMacs).toBeLessThan(plan.fullMacs)
  })

  it('bad input names the problem: one output, an unknown exit', () => {
    const one = failure(() => planExits(load(resolve(ROOT, 'resources/models/resnet8.onnx')), 'resnet8'))
    expect(one.code).toBe('BAD_INPUT')
    expect(one.message).toMatch(/resnet8 has one output \(logits\)/)
    const unknown = failure(() => planExits(load(EE), 'resnet8-ee', ['exit9']))
    expect(unknown.code).toBe('BAD_INPUT')
    expect(unknown.message).toMatch(/no output named 'exit9' \(its outputs: logits, exit1\)/)
  })
})

describe('splitChain', () => {
  const images = fashionImages(64)
  const x = new ort.Tensor('float32', images, [64, 1, 28, 28])

  for (const [label, path, chosen] of [
    ['resnet8-ee', EE, undefined],
    ['branchy2 (two exits)', BRANCHY, undefined],
    ['branchy2 cut at aux only', BRANCHY, ['aux']],
  ] as const) {
    it(`${label}: the segments reproduce every output of the unsplit model (max abs diff ≤ 1e-5)`, async () => {
      const model = load(path)
      const before = Buffer.from(encodeModel(model))
      const plan = planExits(model, label, chosen)
      const [want, have] = await runBoth(model, plan.exits, plan.final, x)
      for (const name of [...plan.exits, plan.final]) {
        const a = want[name]?.data as Float32Array
        const b = have.get(name)?.data as Float32Array
        expect(b.length, name).toBe(a.length)
        let diff = 0
        for (let i = 0; i < a.length; i++)
          diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)))
        expect(diff, name).toBeLessThanOrEqual(1e-5)
      }
      expect(Buffer.from(encodeModel(model)).equals(before)).toBe(true)
    })
  }

  it('keeps the batch axis symbolic at the cut and hands each segment only what it reads', () => {
    const segments = splitChain(load(BRANCHY), { exits: ['exit_a', 'exit_b'], final: 'logits' })
    expect(segments.map((s) => s.outputs[0])).toEqual(['exit_a', 'exit_b', 'logits'])
    expect(segments[0]?.inputs).toEqual(['input'])
    const cut = segments[1]?.model.graph?.input?.[0]
    expect(cut?.type?.tensorType?.shape?.dim?.[0]?.dimParam).toBe('N')
    for (const s of segments) {
      const used = new Set(s.model.graph?.node?.flatMap((n) => n.input ?? []))
      for (const init of s.model.graph?.initializer ?? []) expect(used.has(init.name ?? '')).toBe(true)
    }
  })
})
