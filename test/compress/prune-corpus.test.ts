/**
 * Structured pruning on graphs ordinary exporters write (test/fixtures/corpus, made by
 * tools/corpus/export.py): each channel rule on its own tiny torch export, and narrow torchvision
 * architectures. Every one must load in ONNX Runtime, keep the parent's output shape, reach ≤ 60 %
 * of the parent's MACs at 50 %, and be exact: zeroing the channels the plan removes, then
 * removing them, leaves the outputs unchanged.
 */
import { describe, expect, it } from 'vitest'
import { planStructured, pruneStructured } from '../../main/compress/prune-structured.js'
import { attrInt } from '../../main/model/graph.js'
import { inspectDecoded } from '../../main/model/inspect.js'
import { encodeModel, loadModel } from '../../main/model/onnx-io.js'
import { graphOf, type ModelProto } from '../../main/model/proto.js'
import { tensorDims, tensorValues } from '../../main/model/tensor.js'
import { maxRelDiff, runModel, zeroChannels } from '../fixtures/compress/prune-helpers.js'
import { CORPUS, CORPUS_DIR, corpusInput } from '../fixtures/corpus/corpus.js'

const load = (name: string): Promise<ModelProto> => loadModel(`${CORPUS_DIR}${name}.onnx`)
const macs = async (m: ModelProto): Promise<number> => (await inspectDecoded(m, encodeModel(m))).macs

function initValues(m: ModelProto, name: string | undefined): number[] {
  const t = graphOf(m).initializer.find((x) => x.name === name)
  return t ? Array.from(tensorValues(t)) : []
}

describe('structured pruning of exporter graphs (corpus)', () => {
  it('has the corpus', () => expect(CORPUS.filter((n) => n.startsWith('tv-'))).toHaveLength(9))

  for (const name of CORPUS) {
    it(`${name}: 50 % loads, keeps the output shape, ≤ 60 % MACs, exact on zeroed channels`, async () => {
      const parent = await load(name)
      const { model, report } = pruneStructured(parent, { ratio: 0.5 })
      for (const s of report.skipped) expect(s.reason).toMatch(/graph output|fully-connected/)
      expect((await macs(model)) / (await macs(parent))).toBeLessThanOrEqual(0.6)
      const plan = planStructured(parent, { ratio: 0.5 })
      const zeroed = zeroChannels(parent, plan.removed)
      const pruned = pruneStructured(zeroed, { ratio: 0.5 }).model
      const x = corpusInput(parent, 2)
      const a = await runModel(zeroed, { input: x })
      const b = await runModel(pruned, { input: x })
      expect(b.outputs.logits?.dims).toEqual([2, 10])
      expect(maxRelDiff(a, b)).toBeLessThan(1e-5)
    }, 120_000)
  }
})

describe('channel rules', () => {
  it('ReduceMean / ReduceMax over H×W pass channels through to the classifier', async () => {
    for (const name of ['rule-reducemean', 'rule-reducemax']) {
      const { model, report } = pruneStructured(await load(name), { ratio: 0.5 })
      expect(report.layers.map((l) => [l.before, l.after])).toEqual([[16, 8], [16, 8]])
      expect(tensorDims(graphOf(model).initializer.find((t) => t.name === 'fc.weight')!)).toEqual([10, 8])
    }
  })

  it('channel shuffle: the shuffled tensor keeps its 2 groups, each loses the same columns', async () => {
    const { model } = pruneStructured(await load('rule-shuffle'), { ratio: 0.5 })
    const targets = graphOf(model).node.filter((n) => n.opType === 'Reshape').map((n) => initValues(model, n.input[1]))
    expect(targets).toEqual([[-1, 2, 4, 8, 8], [-1, 8, 8, 8]])
    const split = graphOf(model).node.filter((n) => n.opType === 'Slice').map((n) => [initValues(model, n.input[1])[0], initValues(model, n.input[2])[0]])
    expect(split).toEqual([[0, 4], [4, 8]])
  })

  it('Slice on channels: bounds follow the kept channels', async () => {
    const { model } = pruneStructured(await load('rule-slice'), { ratio: 0.5 })
    const bounds = graphOf(model).node.filter((n) => n.opType === 'Slice').map((n) => [initValues(model, n.input[1])[0], initValues(model, n.input[2])[0]])
    expect(bounds).toEqual([[0, 4], [4, 8]])
  })

  it('squeeze-and-excitation: the gate conv and the gated feature map lose the same channels', async () => {
    const plan = planStructured(await load('rule-se'), { ratio: 0.5 })
    const gate = plan.pruned.find((p) => p.group.convs.some((c) => c.includes('fc2')))
    expect(gate?.group.convs.some((c) => c.includes('c0'))).toBe(true)
    expect(plan.removed.get('/fc2/Conv')).toEqual(plan.removed.get('/c0/Conv'))
  })

  it('grouped conv (4 groups of 4): whole groups go, group count follows', async () => {
    const parent = await load('rule-grouped')
    const { model } = pruneStructured(parent, { ratio: 0.5 })
    const g = graphOf(model).node.find((n) => n.name === '/g/Conv')!
    const w = graphOf(model).initializer.find((t) => t.name === g.input[1])!
    expect(attrInt(g, 'group', 1)).toBe(2)
    expect(tensorDims(w)).toEqual([8, 4, 3, 3])
  })

  it('grouped conv before a shuffle of its groups: each group loses the same filters, 4 groups stay', async () => {
    const { model } = pruneStructured(await load('rule-grouped-shuffle'), { ratio: 0.5 })
    const g1 = graphOf(model).node.find((n) => n.name === '/g1/Conv')!
    expect(attrInt(g1, 'group', 1)).toBe(4)
    expect(tensorDims(graphOf(model).initializer.find((t) => t.name === g1.input[1])!)).toEqual([8, 2, 1, 1])
  })

  it('Fire Concat, Flatten → MatMul and BatchNorm kept: each slot and weight row follows', async () => {
    const fire = pruneStructured(await load('rule-fire'), { ratio: 0.5 })
    expect(fire.report.layers.length).toBeGreaterThanOrEqual(3)
    const mm = pruneStructured(await load('rule-flatten-matmul'), { ratio: 0.5 }).model
    const matmul = graphOf(mm).node.find((n) => n.opType === 'MatMul')!
    expect(tensorDims(graphOf(mm).initializer.find((t) => t.name === matmul.input[1])!)).toEqual([64, 10])
    const bn = pruneStructured(await load('rule-bn-kept'), { ratio: 0.5, criterion: 'bn-scale' })
    expect(bn.report.layers.map((l) => l.after)).toEqual([8, 8])
  })
})
