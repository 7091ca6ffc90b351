import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { planExits } from '../../main/early-exit/graph.js'
import { inspectBytes, inspectDecoded, inspectModel, outputMacs } from '../../main/model/inspect.js'
import { decodeModel, encodeModel } from '../../main/model/onnx-io.js'
import { graphOf, onnx } from '../../main/model/proto.js'
import { runtimeShapes } from '../../main/model/runtime-shapes.js'
import { inferShapes } from '../../main/model/shapes.js'
import { initializerToFloat32 } from '../../main/model/tensor.js'
import { buildModel, bytesOf, int, ints, tensor, weights, type ModelSpec } from './build.js'

const FIXTURES = new URL('../fixtures/model/', import.meta.url).pathname
// EDGEBENCH_TEST_ZOO points the zoo tests at another folder (e.g. untrained exports of the zoo).
const ZOO = process.env.EDGEBENCH_TEST_ZOO ?? new URL('../../resources/models/', import.meta.url).pathname

interface Card {
  params?: number
  macs?: number
  sha256?: string
  fileBytes?: number
  inputs?: { name: string; shape: (number | string)[]; dtype: string }[]
  earlyExit?: { exits: { output: string; macs: number }[] }
}

/** Every model with a card: the fixture always, zoo models as soon as they are trained. */
function modelsWithCards(): { name: string; onnx: string; card: Card }[] {
  const found: { name: string; onnx: string; card: Card }[] = []
  for (const dir of [FIXTURES, ZOO]) {
    if (!existsSync(dir)) continue
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.onnx'))) {
      const cardPath = dir + f.replace(/\.onnx$/, '.json')
      if (!existsSync(cardPath)) continue
      found.push({ name: f, onnx: dir + f, card: JSON.parse(readFileSync(cardPath, 'utf8')) as Card })
    }
  }
  return found
}

const MODELS = modelsWithCards()

describe('inspectModel on real models against their cards (PyTorch counts)', () => {
  it('has at least the fixture model', () => {
    expect(MODELS.map((m) => m.name)).toContain('tiny-cnn.onnx')
  })

  for (const m of MODELS) {
    it(`${m.name}: params exact, MACs within 1 %, every shape static`, async () => {
      const r = await inspectModel(m.onnx)
      if (m.card.params !== undefined) expect(r.params).toBe(m.card.params)
      if (m.card.macs !== undefined) expect(Math.abs(r.macs - m.card.macs) / m.card.macs).toBeLessThan(0.01)
      if (m.card.sha256 !== undefined) expect(r.sha256).toBe(m.card.sha256)
      if (m.card.fileBytes !== undefined) expect(r.fileBytes).toBe(m.card.fileBytes)
      if (m.card.inputs !== undefined) expect(r.inputs).toEqual(m.card.inputs)
      expect(r.shapeSource).toBe('static')
      expect(r.layers.filter((l) => l.outputShape === null)).toEqual([])
      expect(r.macs).toBe(r.layers.reduce((s, l) => s + l.macs, 0))
      expect(r.params).toBe(Object.values(r.paramsByDtype).reduce((s, p) => s + p.count, 0))
    })

    const exits = m.card.earlyExit?.exits ?? []
    it(`${m.name}: the early exits found in the graph are the card's (${exits.length || 'none'}), with its MACs`, async () => {
      const model = decodeModel(readFileSync(m.onnx))
      const perOutput = await outputMacs(model)
      for (const exit of exits) {
        expect(Math.abs((perOutput[exit.output] ?? 0) - exit.macs) / exit.macs).toBeLessThan(0.01)
      }
      if (exits.length === 0) {
        // A single-output model has nothing to stop early at, and says so.
        expect(() => planExits(model, m.name)).toThrow(/early exit needs|no early-exit output/)
        return
      }
      const plan = planExits(model, m.name)
      expect(plan.exits).toEqual(exits.map((e) => e.output))
      plan.exitMacs.forEach((macs, k) => expect(Math.abs(macs - (exits[k]?.macs ?? 0)) / macs).toBeLessThan(0.01))
      if (m.card.macs !== undefined) expect(Math.abs(plan.fullMacs - m.card.macs) / m.card.macs).toBeLessThan(0.01)
    })

    it(`${m.name}: every intermediate shape equals ONNX Runtime's actual output`, async () => {
      const model = decodeModel(readFileSync(m.onnx))
      const inferred = inferShapes(model)
      const names = inferred.order.flatMap((n) => n.output).filter((o) => o && !inferred.constants.has(o))
      const inputs = new Map(
        graphOf(model)
          .input.filter((i) => !inferred.constants.has(i.name))
          .map((i) => [i.name, { dtype: inferred.tensors.get(i.name)!.dtype, shape: inferred.tensors.get(i.name)!.shape! }]),
      )
      const actual = await runtimeShapes(model, names, inputs)
      const mismatches = names.filter(
        (n) => JSON.stringify(inferred.tensors.get(n)?.shape) !== JSON.stringify(actual.get(n)?.shape),
      )
      expect(mismatches).toEqual([])
    })
  }
})

describe('inspectModel on the fixture', () => {
  const path = `${FIXTURES}tiny-cnn.onnx`

  it('fills every field: I/O with symbolic batch, opset, ops, sizes and digests', async () => {
    const r = await inspectModel(path)
    const bytes = readFileSync(path)
    expect(r.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: ['N', 1, 28, 28] }])
    expect(r.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['N', 10] }])
    expect(r.opset).toBe(14)
    expect(r.opCounts.Conv).toBe(7)
    expect(r.opCounts.Gemm).toBe(1)
    expect(r.fileBytes).toBe(statSync(path).size)
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(r.gzipBytes).toBeGreaterThan(0)
    expect(r.gzipBytes).toBeLessThan(r.fileBytes)
    expect(r.paramsByDtype).toEqual({ float32: { count: r.params, bytes: r.params * 4 } })
    // Weights = every stored constant: the parameters plus the exporter's small shape constants.
    expect(r.weightsBytes).toBeGreaterThanOrEqual(r.params * 4)
    expect(r.weightsBytes).toBeLessThan(r.params * 4 + 1024)
    expect(r.layers).toHaveLength(graphOf(decodeModel(bytes)).node.length)
    const stem = r.layers.find((l) => l.op === 'Conv')!
    expect(stem).toMatchObject({ macs: 8 * 28 * 28 * 9, params: 80, outputShape: [1, 8, 28, 28] })
    // Peak: stem Conv output and its Relu both alive (2 × 8×28×28 floats).
    expect(r.peakActivationBytes).toBe(2 * 8 * 28 * 28 * 4)
  })

  it('forcing the ORT shape pass gives the same layer shapes and says so', async () => {
    const stat = await inspectModel(path, { runtime: 'never' })
    const forced = await inspectModel(path, { runtime: 'always' })
    expect(forced.shapeSource).toBe('static+runtime')
    expect(forced.layers.map((l) => l.outputShape)).toEqual(stat.layers.map((l) => l.outputShape))
    expect(forced.macs).toBe(stat.macs)
    expect(forced.peakActivationBytes).toBe(stat.peakActivationBytes)
  })

  it('weights stored in typed float_data count the same as raw_data', async () => {
    const model = decodeModel(readFileSync(path))
    for (const t of graphOf(model).initializer) {
      t.floatData = Array.from(initializerToFloat32(t))
      t.rawData = new Uint8Array(0)
    }
    const typed = await inspectBytes(encodeModel(model), 'typed.onnx')
    const raw = await inspectModel(path)
    expect({ ...typed, fileBytes: 0, gzipBytes: 0, sha256: '' }).toEqual({ ...raw, fileBytes: 0, gzipBytes: 0, sha256: '' })
  })
})

describe('parameter counting', () => {
  it('counts each layer\'s bias once even when the exporter stored equal biases as one tensor', async () => {
    // torch.onnx.export deduplicates identical initializers (e.g. zero biases) behind Identity
    // nodes; PyTorch, and the model card, still count one bias per layer.
    const r = await inspectBytes(
      bytesOf({
        inputs: [{ name: 'x', elemType: 1, dims: [1, 2, 5, 5] }],
        outputs: ['y'],
        initializers: [weights('w1', [2, 2, 1, 1]), weights('w2', [2, 2, 1, 1], 2), tensor('b', 1, [2], [0, 0])],
        nodes: [
          { op: 'Identity', inputs: ['b'], outputs: ['conv2.bias'] },
          { op: 'Conv', inputs: ['x', 'w1', 'b'], outputs: ['a'] },
          { op: 'Conv', inputs: ['a', 'w2', 'conv2.bias'], outputs: ['y'] },
        ],
      }),
      'dedup.onnx',
    )
    expect(r.params).toBe(4 + 2 + 4 + 2)
    expect(r.weightsBytes).toBe((4 + 4 + 2) * 4)
  })

  it('lists only real inputs when an old exporter also declares the weights as graph inputs', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', elemType: 1, dims: [1, 3] }],
      outputs: ['y'],
      initializers: [weights('w', [4, 3]), weights('b', [4], 2)],
      nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: [int('transB', 1)] }],
    })
    const graph = graphOf(model)
    for (const t of graph.initializer) {
      graph.input.push(onnx.ValueInfoProto.create({ name: t.name, type: { tensorType: { elemType: 1, shape: { dim: t.dims.map((d) => ({ dimValue: d })) } } } }))
    }
    const bytes = encodeModel(model)
    const r = await inspectBytes(bytes, 'ir3.onnx')
    expect(r.inputs.map((i) => i.name)).toEqual(['x'])
    expect(r.params).toBe(16)
    expect(r.macs).toBe(12)
    expect(r.peakActivationBytes).toBe(12 + 16)
  })

  it('does not count shape constants, indices or Clip bounds as parameters', async () => {
    const r = await inspectBytes(
      bytesOf({
        inputs: [{ name: 'x', elemType: 1, dims: [1, 6] }],
        outputs: ['y'],
        initializers: [tensor('shape', 7, [2], [2, 3]), tensor('idx', 7, [1], [1]), tensor('lo', 1, [], [0]), tensor('hi', 1, [], [6])],
        nodes: [
          { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
          { op: 'Gather', inputs: ['r', 'idx'], outputs: ['g'], attrs: [int('axis', 1)] },
          { op: 'Clip', inputs: ['g', 'lo', 'hi'], outputs: ['y'] },
        ],
      }),
      'shapes-only.onnx',
    )
    expect(r.params).toBe(0)
    expect(r.paramsByDtype).toEqual({})
    expect(r.weightsBytes).toBe(16 + 8 + 4 + 4)
    expect(r.layers.map((l) => l.outputShape)).toEqual([[2, 3], [2, 1], [2, 1]])
  })
})

describe('models saved by ONNX Runtime after graph optimization', () => {
  it('FusedConv (com.microsoft) keeps the MACs and shapes of the original Conv + Relu', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgebench-ortopt-'))
    try {
      const optimized = join(dir, 'tiny-opt.onnx')
      const session = await ort.InferenceSession.create(`${FIXTURES}tiny-cnn.onnx`, {
        graphOptimizationLevel: 'extended',
        optimizedModelFilePath: optimized,
      })
      await session.release()
      const before = await inspectModel(`${FIXTURES}tiny-cnn.onnx`)
      const after = await inspectModel(optimized)
      expect(after.opCounts.FusedConv).toBeGreaterThan(0)
      expect(after.shapeSource).toBe('static')
      expect(after.macs).toBe(before.macs)
      expect(after.params).toBe(before.params)
      // Fusing Conv + Relu removes the Conv output that lived beside the Relu output.
      expect(after.peakActivationBytes).toBeLessThan(before.peakActivationBytes)
      // ORT also folded a Transpose into FusedMatMul (transA): static shapes must still be right.
      const checked = await inspectModel(optimized, { runtime: 'always' })
      expect(checked.layers.map((l) => l.outputShape)).toEqual(after.layers.map((l) => l.outputShape))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('MACs per output (early exit)', () => {
  it('counts only the nodes each output depends on; the shared trunk counts for both', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', elemType: 1, dims: [1, 1, 6, 6] }],
      outputs: ['exit', 'final'],
      initializers: [weights('w1', [4, 1, 3, 3]), weights('we', [2, 4, 1, 1], 2), weights('w2', [3, 4, 3, 3], 3)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['trunk'], attrs: [ints('pads', [1, 1, 1, 1])] },
        { op: 'Conv', inputs: ['trunk', 'we'], outputs: ['exit'] },
        { op: 'Conv', inputs: ['trunk', 'w2'], outputs: ['final'] },
      ],
    })
    const trunk = 4 * 36 * 9
    const perOutput = await outputMacs(model)
    expect(perOutput).toEqual({ exit: trunk + 2 * 36 * 4, final: trunk + 3 * 16 * 36 })
    const all = await inspectDecoded(model, encodeModel(model))
    expect(all.macs).toBe(trunk + 2 * 36 * 4 + 3 * 16 * 36)
  })
})

describe('shape fallback through ONNX Runtime', () => {
  const spec: ModelSpec = {
    inputs: [{ name: 'x', elemType: 1, dims: ['N', 4, 6] }],
    outputs: ['y'],
    initializers: [weights('w', [6, 5])],
    nodes: [
      // No static rule for Einsum: its output and everything after it need the runtime pass.
      { op: 'Einsum', inputs: ['x'], outputs: ['t'], attrs: [{ name: 'equation', type: 3, s: Buffer.from('bij->bji') }] },
      { op: 'Relu', inputs: ['t'], outputs: ['r'] },
      { op: 'MatMul', inputs: ['r', 'x'], outputs: ['m'] },
      { op: 'MatMul', inputs: ['m', 'w'], outputs: ['y'] },
    ],
  }

  it('finds the shapes static inference cannot, and the MACs that depend on them', async () => {
    const r = await inspectBytes(bytesOf(spec), 'einsum.onnx')
    expect(r.shapeSource).toBe('static+runtime')
    expect(r.layers.map((l) => l.outputShape)).toEqual([[1, 6, 4], [1, 6, 4], [1, 6, 6], [1, 6, 5]])
    expect(r.macs).toBe(6 * 6 * 4 + 6 * 5 * 6)
    expect(r.params).toBe(30)
  })

  it("with runtime 'never' reports the unknown shapes as null instead of guessing", async () => {
    const r = await inspectBytes(bytesOf(spec), 'einsum.onnx', { runtime: 'never' })
    expect(r.shapeSource).toBe('static')
    expect(r.layers[0]?.outputShape).toBeNull()
    expect(r.layers[3]?.outputShape).toBeNull()
  })
})

describe('peak activation memory', () => {
  it('matches a hand-computed liveness walk (skip connection keeps the input alive)', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', elemType: 1, dims: [1, 1, 8, 8] }],
      outputs: ['y'],
      initializers: [weights('w1', [4, 1, 3, 3]), weights('w2', [4, 1, 2, 2], 2)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'], attrs: [ints('pads', [1, 1, 1, 1])] },
        { op: 'Relu', inputs: ['a'], outputs: ['b'] },
        { op: 'MaxPool', inputs: ['b'], outputs: ['c'], attrs: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] },
        { op: 'Conv', inputs: ['x', 'w2'], outputs: ['d'], attrs: [ints('strides', [2, 2])] },
        { op: 'Add', inputs: ['c', 'd'], outputs: ['y'] },
      ],
    })
    const r = await inspectDecoded(model, encodeModel(model))
    // x 256 B + a 1024 B + b 1024 B are alive while Relu runs; nothing later is larger.
    expect(r.peakActivationBytes).toBe(256 + 1024 + 1024)
  })

  it('is dtype-aware: a uint8 input takes a quarter of a float one', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', elemType: 2, dims: [1, 1, 8, 8] }],
      outputs: ['y'],
      nodes: [
        { op: 'Cast', inputs: ['x'], outputs: ['f'], attrs: [int('to', 1)] },
        { op: 'Relu', inputs: ['f'], outputs: ['y'] },
      ],
    })
    const r = await inspectDecoded(model, encodeModel(model))
    expect(r.peakActivationBytes).toBe(Math.max(64 + 256, 256 + 256))
    expect(r.inputs[0]?.dtype).toBe('uint8')
  })
})

describe('quantized models', () => {
  const scalar = (name: string, type: number, v: number): ReturnType<typeof tensor> => tensor(name, type, [], [v])
  const wq = tensor('wq', 3, [4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => (i % 17) - 8))
  const bq = tensor('bq', 6, [4], [10, -20, 30, -40])
  const quantParams = [
    scalar('xs', 1, 0.02), scalar('xzp', 2, 128), scalar('ws', 1, 0.01), scalar('wzp', 3, 0),
    scalar('ys', 1, 0.05), scalar('yzp', 2, 128), scalar('bs', 1, 0.0002), scalar('bzp', 6, 0),
  ]
  const convMacs = 4 * 8 * 8 * 3 * 3 * 3

  it('QLinearConv counts MACs like Conv and int8/int32 params by dtype, not scales', async () => {
    const r = await inspectBytes(
      bytesOf({
        inputs: [{ name: 'x', elemType: 1, dims: [1, 3, 8, 8] }],
        outputs: ['y'],
        initializers: [wq, bq, ...quantParams],
        nodes: [
          { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xzp'], outputs: ['xq'] },
          { op: 'QLinearConv', inputs: ['xq', 'xs', 'xzp', 'wq', 'ws', 'wzp', 'ys', 'yzp', 'bq'], outputs: ['yq'], attrs: [ints('pads', [1, 1, 1, 1])] },
          { op: 'DequantizeLinear', inputs: ['yq', 'ys', 'yzp'], outputs: ['y'] },
        ],
      }),
      'qlinear.onnx',
      { runtime: 'always' },
    )
    expect(r.macs).toBe(convMacs)
    expect(r.params).toBe(112)
    expect(r.paramsByDtype).toEqual({ int8: { count: 108, bytes: 108 }, int32: { count: 4, bytes: 16 } })
    expect(r.layers[1]?.outputShape).toEqual([1, 4, 8, 8])
    // uint8 activations: x (float 768 B) + xq (192 B), then xq + yq (256 B), then yq + y (1024 B).
    expect(r.peakActivationBytes).toBe(256 + 1024)
  })

  it('QDQ (DequantizeLinear → Conv) traces the weights back to their int8 initializers', async () => {
    const r = await inspectBytes(
      bytesOf({
        inputs: [{ name: 'x', elemType: 1, dims: [1, 3, 8, 8] }],
        outputs: ['y'],
        initializers: [wq, bq, ...quantParams],
        nodes: [
          { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xzp'], outputs: ['xq'] },
          { op: 'DequantizeLinear', inputs: ['xq', 'xs', 'xzp'], outputs: ['xd'] },
          { op: 'DequantizeLinear', inputs: ['wq', 'ws', 'wzp'], outputs: ['wd'] },
          { op: 'DequantizeLinear', inputs: ['bq', 'bs', 'bzp'], outputs: ['bd'] },
          { op: 'Conv', inputs: ['xd', 'wd', 'bd'], outputs: ['y'], attrs: [ints('pads', [1, 1, 1, 1])] },
        ],
      }),
      'qdq.onnx',
      { runtime: 'always' },
    )
    expect(r.macs).toBe(convMacs)
    expect(r.params).toBe(112)
    expect(r.paramsByDtype.int8).toEqual({ count: 108, bytes: 108 })
    expect(r.layers.find((l) => l.op === 'Conv')).toMatchObject({ params: 112, macs: convMacs, outputShape: [1, 4, 8, 8] })
  })
})
