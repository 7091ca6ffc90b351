import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { ConstStore } from '../../main/compress/prune-common.js'
import { analyzeChannels } from '../../main/compress/prune-graph.js'
import { channelGroups } from '../../main/compress/prune-plan.js'
import { planStructured, pruneStructured } from '../../main/compress/prune-structured.js'
import { loadModel } from '../../main/model/onnx-io.js'
import { graphOf, onnx, type ModelProto } from '../../main/model/proto.js'
import { inferShapes } from '../../main/model/shapes.js'
import { initializerToFloat32, tensorDims } from '../../main/model/tensor.js'
import { cloneModel } from '../../main/compress/prune-common.js'
import { runModel, ZOO_DIR } from '../fixtures/compress/prune-helpers.js'
import { bnResidualNet, sharedWeightNet } from '../fixtures/compress/prune-fixtures.js'

const resnet8 = (): Promise<ModelProto> => loadModel(`${ZOO_DIR}resnet8.onnx`)

/** Annotates every intermediate tensor with its inferred shape, as some exporters do. */
function withValueInfo(model: ModelProto): ModelProto {
  const copy = cloneModel(model)
  const graph = graphOf(copy)
  const shapes = inferShapes(copy).tensors
  const outputs = new Set(graph.output.map((o) => o.name))
  for (const n of graph.node) {
    for (const o of n.output) {
      const shape = shapes.get(o)?.shape
      if (!shape || outputs.has(o)) continue
      const dim = shape.map((d, i) => (i === 0 ? { dimParam: 'N' } : { dimValue: Number(d) }))
      graph.valueInfo.push(onnx.ValueInfoProto.create({ name: o, type: { tensorType: { elemType: 1, shape: { dim } } } }))
    }
  }
  return copy
}

describe('channel analysis', () => {
  it('groups: residual pairs form one group, a depthwise-free chain one group per conv', () => {
    const model = bnResidualNet()
    const store = new ConstStore(graphOf(model))
    const cg = analyzeChannels(model, store)
    const groups = channelGroups(cg).filter((g) => g.convs.length > 0)
    expect(groups.map((g) => [g.convs, g.classes.length, g.blocked ?? null])).toEqual([
      [['Conv_0', 'Conv_6'], 8, null],
      [['Conv_3'], 6, null],
    ])
    expect(cg.batchNorms).toHaveLength(3)
    expect(cg.blocked.get('x')).toBe('graph input')
    expect(cg.blocked.get('logits')).toMatch(/graph output|fully-connected/)
  })

  it('keeps value_info annotations in step with the pruned channels', async () => {
    const annotated = withValueInfo(await resnet8())
    expect(graphOf(annotated).valueInfo.length).toBeGreaterThan(15)
    const { model } = pruneStructured(annotated, { ratio: 0.5 })
    const bare = cloneModel(model)
    graphOf(bare).valueInfo.length = 0
    const inferred = inferShapes(bare).tensors
    for (const vi of graphOf(model).valueInfo) {
      const c = Number(vi.type?.tensorType?.shape?.dim?.[1]?.dimValue)
      expect(c, vi.name).toBe(inferred.get(vi.name)?.shape?.[1])
    }
    const x = new ort.Tensor('float32', new Float32Array(784).fill(0.2), [1, 1, 28, 28])
    expect((await runModel(model, { input: x })).outputs.logits?.dims).toEqual([1, 10])
  })

  it('prunes a model with dynamic H×W (only channel counts must be static)', async () => {
    const dynamic = cloneModel(await resnet8())
    const dims = graphOf(dynamic).input[0]?.type?.tensorType?.shape?.dim ?? []
    dims[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'H' })
    dims[3] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'W' })
    const { model, report } = pruneStructured(dynamic, { ratio: 0.5 })
    expect(report.layers).toHaveLength(6)
    expect(report.skipped).toEqual([])
    for (const size of [28, 36]) {
      const x = new ort.Tensor('float32', new Float32Array(size * size).fill(0.1), [1, 1, size, size])
      expect((await runModel(model, { input: x })).outputs.logits?.dims).toEqual([1, 10])
    }
  })

  it('copies a weight shared by two convs in different groups instead of editing it twice', async () => {
    const parent = sharedWeightNet()
    const plan = planStructured(parent, { ratio: 0.5 })
    expect(plan.pruned).toHaveLength(2)
    const { model } = pruneStructured(parent, { ratio: 0.5 })
    const graph = graphOf(model)
    const inits = new Map(graph.initializer.map((t) => [t.name, t]))
    const original = initializerToFloat32(graphOf(parent).initializer.find((t) => t.name === 'shared.w')!)
    for (const conv of graph.node.filter((n) => n.input[0] === 'x')) {
      const w = inits.get(conv.input[1] ?? '')!
      expect(tensorDims(w)).toEqual([4, 3, 1, 1])
      // Each conv keeps its own surviving filters, untouched (3 input channels each).
      const kept = [...Array(8).keys()].filter((c) => !(plan.removed.get(conv.name) ?? []).includes(c))
      expect(Array.from(initializerToFloat32(w))).toEqual(kept.flatMap((c) => Array.from(original.subarray(c * 3, c * 3 + 3))))
    }
    expect(new Set(graph.node.filter((n) => n.input[0] === 'x').map((n) => n.input[1])).size).toBe(2)
    const x = new ort.Tensor('float32', new Float32Array(108).fill(0.5), [1, 3, 6, 6])
    expect((await runModel(model, { x })).outputs.y?.dims).toEqual([1, 2, 6, 6])
  })

  it('says so when a ratio is too small to remove any channel', async () => {
    const { report } = pruneStructured(await resnet8(), { ratio: 0.005 })
    expect(report.layers.every((l) => l.after === l.before)).toBe(true)
    expect(report.notes.join(' ')).toMatch(/No channel was removed/)
  })
})
