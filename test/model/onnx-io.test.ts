import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { decodeModel, encodeModel, loadModel, saveModel } from '../../main/model/onnx-io.js'
import { graphOf, onnx } from '../../main/model/proto.js'
import { initializerToFloat32 } from '../../main/model/tensor.js'
import { buildModel, weights } from './build.js'

const FIXTURE = new URL('../fixtures/model/tiny-cnn.onnx', import.meta.url).pathname
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-model-io-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<StudioError> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError)
    return e as StudioError
  }
  throw new Error('expected an error')
}

describe('loadModel / decodeModel', () => {
  it('reads the PyTorch-exported fixture with its graph, weights and opset', async () => {
    const model = await loadModel(FIXTURE)
    const graph = graphOf(model)
    expect(graph.input.map((i) => i.name)).toEqual(['input'])
    expect(graph.output.map((o) => o.name)).toEqual(['logits'])
    expect(graph.node.filter((n) => n.opType === 'Conv')).toHaveLength(7)
    const stem = graph.initializer.find((t) => t.name === 'stem.weight')
    expect(stem && initializerToFloat32(stem)).toHaveLength(8 * 9)
  })

  it('round-trips: decode(encode(m)) re-encodes to the same bytes as the file', async () => {
    const bytes = await readFile(FIXTURE)
    const model = decodeModel(bytes)
    const again = encodeModel(decodeModel(encodeModel(model)))
    expect(Buffer.from(again).equals(Buffer.from(encodeModel(model)))).toBe(true)
    expect(onnx.ModelProto.toObject(decodeModel(again))).toEqual(onnx.ModelProto.toObject(model))
  })

  it('a missing file is FILE_NOT_FOUND naming the path', async () => {
    const e = await errorOf(loadModel(join(dir, 'nope.onnx')))
    expect(e.code).toBe('FILE_NOT_FOUND')
    expect(e.message).toContain('nope.onnx')
  })

  it('a file that is not ONNX is MODEL_INVALID with a one-line message naming the file and the fix', async () => {
    const path = join(dir, 'notes.onnx')
    await writeFile(path, 'This is a text file, not a model.\n'.repeat(20))
    const e = await errorOf(loadModel(path))
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/^Error loading ONNX model notes\.onnx: .*Re-export the model/)
    expect(e.message).not.toContain('\n')
  })

  it('a truncated file is MODEL_INVALID saying it is truncated', async () => {
    const bytes = await readFile(FIXTURE)
    const path = join(dir, 'cut.onnx')
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)))
    const e = await errorOf(loadModel(path))
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toContain('cut.onnx')
    expect(e.message).toMatch(/truncated|holds|corrupt/)
  })

  it('an empty file and a folder are MODEL_INVALID', async () => {
    const path = join(dir, 'empty.onnx')
    await writeFile(path, '')
    expect((await errorOf(loadModel(path))).message).toContain('empty')
    expect((await errorOf(loadModel(dir))).code).toBe('MODEL_INVALID')
  })

  it('rejects a graph whose node reads a tensor nothing produces', async () => {
    const e = await errorOf(() =>
      buildModel({
        inputs: [{ name: 'x', elemType: 1, dims: [1, 4] }],
        outputs: ['y'],
        nodes: [{ op: 'Add', inputs: ['x', 'ghost'], outputs: ['y'] }],
      }),
    )
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toContain("'ghost'")
  })

  it('rejects a graph where two nodes write the same tensor', async () => {
    const e = await errorOf(() =>
      buildModel({
        inputs: [{ name: 'x', elemType: 1, dims: [1, 4] }],
        outputs: ['y'],
        nodes: [
          { op: 'Relu', inputs: ['x'], outputs: ['y'] },
          { op: 'Sigmoid', inputs: ['x'], outputs: ['y'] },
        ],
      }),
    )
    expect(e.message).toContain("tensor 'y' is produced by more than one node")
  })

  it('rejects external data clearly instead of reading zeros', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', elemType: 1, dims: [1, 4] }],
      outputs: ['y'],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: [weights('w', [4, 2])],
    })
    const w = graphOf(model).initializer[0]!
    w.rawData = new Uint8Array(0)
    w.dataLocation = 1
    w.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: 'weights.bin' })]
    const e = await errorOf(() => decodeModel(encodeModel(model), 'ext.onnx'))
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/ext\.onnx.*external file/)
  })

  it('rejects an initializer whose data does not fill its shape', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', elemType: 1, dims: [1, 4] }],
      outputs: ['y'],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: [weights('w', [4, 2])],
    })
    graphOf(model).initializer[0]!.dims = [4, 3]
    const e = await errorOf(() => decodeModel(encodeModel(model)))
    expect(e.message).toMatch(/'w' holds 8 values but its shape \[4, 3\] needs 12/)
  })
})

describe('saveModel', () => {
  it('writes a file loadModel reads back identically and leaves no temporary file', async () => {
    const model = await loadModel(FIXTURE)
    const path = join(dir, 'saved.onnx')
    await saveModel(model, path)
    await saveModel(model, path) // overwrite in place
    const back = await loadModel(path)
    expect(Buffer.from(encodeModel(back)).equals(Buffer.from(encodeModel(model)))).toBe(true)
    expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([])
  })

  it('fails with a message and no partial file when the folder does not exist', async () => {
    const model = await loadModel(FIXTURE)
    const e = await errorOf(saveModel(model, join(dir, 'missing', 'x.onnx')))
    expect(e.message).toContain('Cannot save ONNX model')
    expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([])
  })
})
