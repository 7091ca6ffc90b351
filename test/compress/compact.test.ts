/**
 * compactGraph shrinks the graph section and changes nothing the model computes: checked on zoo
 * models in ONNX Runtime (bit-identical outputs) and on small built graphs.
 */
import * as ort from 'onnxruntime-node'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compactGraph } from '../../main/compress/compact.js'
import { inspectDecoded } from '../../main/model/inspect.js'
import { encodeModel, graphOf, loadModel, type ModelProto } from '../../main/model/index.js'

const root = resolve(import.meta.dirname, '../..')
const zoo = (name: string): string => join(root, 'resources/models', `${name}.onnx`)

async function outputs(model: ModelProto, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(encodeModel(model), {
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  })
  try {
    const r = await s.run({ [s.inputNames[0] ?? '']: new ort.Tensor('float32', x, [4, 1, 28, 28]) })
    return Float32Array.from(r[s.outputNames[0] ?? '']?.data as Float32Array)
  } finally {
    await s.release()
  }
}

describe('compactGraph', () => {
  it.each(['shufflenetv2', 'condensenext'])(
    '%s: same outputs, same figures, node names kept, graph section smaller',
    async (name) => {
      const parent = await loadModel(zoo(name))
      const parentBytes = encodeModel(parent)
      const { model, ...saved } = compactGraph(parent)
      expect(encodeModel(parent)).toEqual(parentBytes) // a pass never edits its input
      const g0 = graphOf(parent)
      const g = graphOf(model)
      // Constant nodes (the channel-shuffle shapes) became initializers, each distinct value once.
      const constants = g0.node.filter((n) => n.opType === 'Constant').length
      expect(saved.constants).toBe(constants)
      expect(g.node.some((n) => n.opType === 'Constant')).toBe(false)
      expect(g.initializer.length).toBeLessThan(g0.initializer.length + constants)
      expect(saved.attributes).toBeGreaterThan(0)
      expect(
        g.node
          .filter((n) => n.opType === 'Conv')
          .every((n) => !n.attribute.some((a) => a.name === 'kernel_shape')),
      ).toBe(true)
      // Layers keep their names; graph inputs and outputs keep theirs; the rest are short.
      const kept = new Set(g0.node.filter((n) => n.opType !== 'Constant').map((n) => n.name))
      expect(new Set(g.node.map((n) => n.name))).toEqual(kept)
      expect(g.input.map((v) => v.name)).toEqual(g0.input.map((v) => v.name))
      expect(g.output.map((v) => v.name)).toEqual(g0.output.map((v) => v.name))
      const io = new Set([...g.input, ...g.output].map((v) => v.name))
      for (const n of g.node)
        for (const t of n.output) if (!io.has(t)) expect(t.length).toBeLessThanOrEqual(3)
      const before = encodeModel(parent).length
      const after = encodeModel(model).length
      expect(before - after).toBeGreaterThan(10_000)
      // What it computes and what the studio reports about it are unchanged.
      const x = Float32Array.from({ length: 4 * 784 }, (_, i) => ((i * 7919) % 256) / 255)
      expect(await outputs(model, x)).toEqual(await outputs(parent, x))
      const [a, b] = await Promise.all([
        inspectDecoded(parent, encodeModel(parent)),
        inspectDecoded(model, encodeModel(model)),
      ])
      expect({ params: b.params, macs: b.macs }).toEqual({ params: a.params, macs: a.macs })
    },
    60_000,
  )

  it('keeps Conv attributes that are not defaults', async () => {
    const parent = await loadModel(zoo('condensenext'))
    const grouped = graphOf(parent).node.filter((n) =>
      n.attribute.some((a) => a.name === 'group' && Number(a.i) > 1),
    ).length
    const strided = graphOf(parent).node.filter((n) =>
      n.attribute.some((a) => a.name === 'strides' && a.ints.some((v) => Number(v) !== 1)),
    ).length
    expect(grouped).toBeGreaterThan(0)
    const g = graphOf(compactGraph(parent).model)
    expect(g.node.filter((n) => n.attribute.some((a) => a.name === 'group')).length).toBe(grouped)
    expect(g.node.filter((n) => n.attribute.some((a) => a.name === 'strides')).length).toBe(strided)
  })
})
