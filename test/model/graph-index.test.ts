/** GraphIndex: the one index of a graph every analysis shares (producers, consumers, constants, fresh names). */
import { describe, expect, it } from 'vitest'
import { GraphIndex } from '../../main/model/graph-index.js'
import { graphOf } from '../../main/model/proto.js'
import { buildModel, tensor, tensorAttr, weights } from './build.js'

const model = buildModel({
  inputs: [{ name: 'x', elemType: 1, dims: ['N', 4] }],
  outputs: ['y'],
  nodes: [
    { op: 'Constant', inputs: [], outputs: ['k'], attrs: [tensorAttr('value', tensor('kv', 1, [4], [1, 2, 3, 4]))] },
    { op: 'Mul', inputs: ['x', 'k'], outputs: ['m'] },
    { op: 'Add', inputs: ['m', 'm'], outputs: ['a'] },
    { op: 'MatMul', inputs: ['a', 'w'], outputs: ['y'] },
  ],
  initializers: [weights('w', [4, 2], 1)],
})

describe('GraphIndex', () => {
  const index = new GraphIndex(graphOf(model))

  it('knows who writes and who reads each tensor (once per input slot)', () => {
    expect(index.producer.get('m')?.opType).toBe('Mul')
    expect(index.consumersOf('m').map((n) => n.opType)).toEqual(['Add', 'Add'])
    expect(index.consumersOf('x').map((n) => n.opType)).toEqual(['Mul'])
    expect(index.consumersOf('nothing')).toEqual([])
    expect(index.inputs).toEqual(['x'])
    expect([...index.outputs]).toEqual(['y'])
  })

  it('tells initializers and Constant values apart from activations', () => {
    expect([...index.initializers.keys()]).toEqual(['w'])
    expect([...index.constants.keys()].sort()).toEqual(['k', 'w'])
    expect(index.isConstant('k')).toBe(true)
    expect(index.isConstant('m')).toBe(false)
  })

  it('hands out names used nowhere in the graph, each once', () => {
    expect(index.fresh('q')).toBe('q')
    expect(index.fresh('q')).toBe('q_1')
    expect(index.fresh('m')).toBe('m_1')
    expect(index.fresh('Mul_1')).toBe('Mul_1_1') // node names count too
  })
})
