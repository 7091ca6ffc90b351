/**
 * simplifyGraph folds the shape arithmetic exporters compute at run time into constants, for every
 * batch size, without changing what the model computes (checked in ONNX Runtime at batch 1 and 3).
 */
import { describe, expect, it } from 'vitest'
import { encodeModel, loadModel } from '../../main/model/onnx-io.js'
import { graphOf, type ModelProto } from '../../main/model/proto.js'
import { simplifyGraph } from '../../main/model/simplify.js'
import { tensorValues } from '../../main/model/tensor.js'
import { maxRelDiff, runModel } from '../fixtures/compress/prune-helpers.js'
import { CORPUS, CORPUS_DIR, corpusInput } from '../fixtures/corpus/corpus.js'

const load = (name: string): Promise<ModelProto> => loadModel(`${CORPUS_DIR}${name}.onnx`)
const ops = (m: ModelProto): string[] => graphOf(m).node.map((n) => n.opType)

describe('simplifyGraph', () => {
  it('channel shuffle (x.view(b, g, c // g, h, w) …): Shape/Gather/Concat chains become constant Reshape targets', async () => {
    const parent = await load('rule-shuffle')
    const before = encodeModel(parent)
    expect(ops(parent)).toContain('Shape')
    const { model, report } = simplifyGraph(parent)
    expect(encodeModel(parent)).toEqual(before) // a pass never edits its input
    for (const op of ['Shape', 'Gather', 'Unsqueeze', 'Constant']) expect(ops(model)).not.toContain(op)
    expect(report.reshapes).toBe(2)
    expect(report.removed).toBeGreaterThan(5)
    const inits = new Map(graphOf(model).initializer.map((t) => [t.name, t]))
    const targets = graphOf(model)
      .node.filter((n) => n.opType === 'Reshape')
      .map((n) => Array.from(tensorValues(inits.get(n.input[1] ?? '')!)))
    // The batch entry follows the input (−1); everything else is the static shape.
    expect(targets).toEqual([
      [-1, 2, 8, 8, 8],
      [-1, 16, 8, 8],
    ])
  })

  it('x.view(x.size(0), -1): a constant [-1, C·H·W] target', async () => {
    const { model } = simplifyGraph(await load('rule-view-flatten'))
    expect(ops(model)).toEqual(['Conv', 'Relu', 'Conv', 'Relu', 'Reshape', 'Gemm'])
  })

  it('Identity-deduplicated weights (torch exports equal biases once) become each reader\'s own initializer', async () => {
    const parent = await load('tv-squeezenet1_0')
    expect(ops(parent)).toContain('Identity')
    const { model } = simplifyGraph(parent)
    expect(ops(model)).not.toContain('Identity')
    const inits = new Set(graphOf(model).initializer.map((t) => t.name))
    for (const n of graphOf(model).node.filter((x) => x.opType === 'Conv')) expect(inits.has(n.input[2] ?? '')).toBe(true)
  })

  for (const name of CORPUS) {
    it(`${name}: same outputs at batch 1 and 3`, async () => {
      const parent = await load(name)
      const { model } = simplifyGraph(parent)
      for (const n of [1, 3]) {
        const x = corpusInput(parent, n)
        const a = await runModel(parent, { input: x })
        const b = await runModel(model, { input: x })
        expect(b.outputs.logits?.dims).toEqual([n, 10])
        expect(maxRelDiff(a, b)).toBeLessThan(1e-5)
      }
    }, 60_000)
  }
})
