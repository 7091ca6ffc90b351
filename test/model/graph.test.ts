import { describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { topoSort } from '../../main/model/graph.js'
import { inspectDecoded } from '../../main/model/inspect.js'
import { decodeModel, encodeModel } from '../../main/model/onnx-io.js'
import { graphOf, onnx } from '../../main/model/proto.js'
import { buildModel } from './build.js'

const chain = {
  inputs: [{ name: 'x', elemType: 1, dims: [1, 4] }],
  outputs: ['d'],
  nodes: [
    { op: 'Relu', inputs: ['x'], outputs: ['a'] },
    { op: 'Sigmoid', inputs: ['a'], outputs: ['b'] },
    { op: 'Add', inputs: ['a', 'b'], outputs: ['c'] },
    { op: 'Neg', inputs: ['c'], outputs: ['d'] },
  ],
}

describe('topoSort', () => {
  it('keeps an already sorted graph in file order', () => {
    const g = graphOf(buildModel(chain))
    expect(topoSort(g).map((n) => n.opType)).toEqual(['Relu', 'Sigmoid', 'Add', 'Neg'])
  })

  it('orders a graph stored out of order, and inspection gives the same answer as for the sorted one', async () => {
    const sorted = buildModel(chain)
    const shuffled = onnx.ModelProto.decode(encodeModel(sorted))
    graphOf(shuffled).node.reverse()
    const model = decodeModel(encodeModel(shuffled))
    expect(topoSort(graphOf(model)).map((n) => n.opType)).toEqual(['Relu', 'Sigmoid', 'Add', 'Neg'])
    const a = await inspectDecoded(sorted, encodeModel(sorted))
    const b = await inspectDecoded(model, encodeModel(model))
    expect(b.layers).toEqual(a.layers)
    expect(b.peakActivationBytes).toBe(a.peakActivationBytes)
  })

  it('rejects a cycle, including a node that reads its own output', () => {
    const cyclic = onnx.ModelProto.decode(encodeModel(buildModel(chain)))
    graphOf(cyclic).node[0]!.input = ['d']
    expect(() => topoSort(graphOf(cyclic))).toThrow(StudioError)
    expect(() => decodeModel(encodeModel(cyclic), 'loop.onnx')).toThrow(/loop\.onnx: the graph has a cycle/)
    const self = onnx.ModelProto.decode(encodeModel(buildModel(chain)))
    graphOf(self).node[3]!.input = ['d']
    expect(() => topoSort(graphOf(self))).toThrow(/cycle/)
  })
})
