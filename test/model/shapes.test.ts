/**
 * Static shape inference against ONNX Runtime: each case is a small real graph; every tensor's
 * inferred dims and element type must equal what ORT produces when it runs the graph.
 */
import { describe, expect, it } from 'vitest'
import type { Dim } from '../../common/types.js'
import { runtimeShapes } from '../../main/model/runtime-shapes.js'
import { inferShapes, tensorShapes } from '../../main/model/shapes.js'
import { buildModel, float, int, ints, str, tensor, weights, type ModelSpec } from './build.js'

const X = (dims: Dim[], name = 'x', elemType = 1): ModelSpec['inputs'][number] => ({ name, elemType, dims })
const I64 = (name: string, values: number[], dims = [values.length]): ReturnType<typeof tensor> =>
  tensor(name, 7, dims, values)

const CASES: Record<string, ModelSpec> = {
  'pooling: ceil_mode, pads, SAME_UPPER, global, window starting in padding': {
    inputs: [X([1, 3, 9, 9])],
    outputs: ['a', 'b', 'c', 'd', 'e'],
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['a'], attrs: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2]), int('ceil_mode', 1)] },
      { op: 'AveragePool', inputs: ['x'], outputs: ['b'], attrs: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), str('auto_pad', 'SAME_UPPER')] },
      { op: 'GlobalAveragePool', inputs: ['a'], outputs: ['c'] },
      { op: 'MaxPool', inputs: ['x'], outputs: ['d'], attrs: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), int('ceil_mode', 1)] },
      { op: 'MaxPool', inputs: ['x'], outputs: ['e'], attrs: [ints('kernel_shape', [3, 3]), ints('strides', [3, 3]), ints('pads', [0, 0, 2, 2]), int('ceil_mode', 1)] },
    ],
  },
  'conv: dilation, SAME_LOWER, groups, transpose with output_padding': {
    inputs: [X([1, 4, 10, 11])],
    outputs: ['a', 'b', 'c', 'd'],
    initializers: [weights('w', [6, 4, 3, 3]), weights('wg', [4, 2, 3, 3], 2), weights('wt', [4, 3, 3, 3], 3)],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['a'], attrs: [ints('dilations', [2, 2]), ints('pads', [1, 2, 1, 0])] },
      { op: 'Conv', inputs: ['x', 'wg'], outputs: ['b'], attrs: [int('group', 2), ints('strides', [2, 3]), str('auto_pad', 'SAME_LOWER')] },
      { op: 'ConvTranspose', inputs: ['x', 'wt'], outputs: ['c'], attrs: [ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), ints('output_padding', [1, 0])] },
      { op: 'ConvTranspose', inputs: ['x', 'wt'], outputs: ['d'], attrs: [int('group', 1), ints('strides', [3, 1])] },
    ],
  },
  'dynamic reshape chain: Shape, Gather (negative index), Equal/Where, Concat, Reshape 0 and -1': {
    inputs: [X(['N', 6, 4, 4])],
    outputs: ['r', 'r2', 'f'],
    initializers: [I64('i0', [0], []), I64('im1', [-1], []), I64('ax', [0]), I64('m1', [-1]), I64('two', [2], []), I64('twelve', [12])],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'] },
      { op: 'Gather', inputs: ['s', 'im1'], outputs: ['w'] },
      { op: 'Mul', inputs: ['w', 'two'], outputs: ['w2'] },
      { op: 'Unsqueeze', inputs: ['n', 'ax'], outputs: ['nu'] },
      { op: 'Unsqueeze', inputs: ['w2', 'ax'], outputs: ['wu'] },
      { op: 'Concat', inputs: ['nu', 'm1', 'wu'], outputs: ['target'], attrs: [int('axis', 0)] },
      { op: 'Equal', inputs: ['target', 'm1'], outputs: ['isneg'] },
      { op: 'Where', inputs: ['isneg', 'twelve', 'target'], outputs: ['target2'] },
      { op: 'Reshape', inputs: ['x', 'target'], outputs: ['r'] },
      { op: 'Reshape', inputs: ['x', 'target2'], outputs: ['r2'] },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'], attrs: [int('axis', 2)] },
    ],
  },
  'slicing: negative steps, axes, clamped ends; Split; Squeeze/Unsqueeze': {
    inputs: [X([1, 8, 6, 5])],
    outputs: ['a', 'b', 'c', 'p', 'q', 'u', 'v'],
    initializers: [
      I64('st', [-1, 1]), I64('en', [-100, 1000]), I64('axs', [1, 3]), I64('sp', [-2, 2]),
      I64('sq', [0]), I64('us', [-1, 1]),
    ],
    nodes: [
      { op: 'Slice', inputs: ['x', 'st', 'en', 'axs', 'sp'], outputs: ['a'] },
      { op: 'Slice', inputs: ['x', 'st', 'en'], outputs: ['b'] },
      { op: 'Split', inputs: ['x'], outputs: ['c', 'p', 'q'], attrs: [int('axis', 2)] },
      { op: 'Squeeze', inputs: ['a', 'sq'], outputs: ['u'] },
      { op: 'Unsqueeze', inputs: ['u', 'us'], outputs: ['v'] },
    ],
  },
  'matrix ops: Gemm transposes, MatMul 1-D and batched broadcast': {
    inputs: [X([5, 3]), X([2, 1, 4, 3], 'y')],
    outputs: ['g', 'm', 'v'],
    initializers: [weights('b', [7, 3]), weights('c', [7]), weights('bm', [3, 3, 2], 4), weights('vec', [3], 5)],
    nodes: [
      { op: 'Gemm', inputs: ['x', 'b', 'c'], outputs: ['g'], attrs: [int('transB', 1), float('alpha', 0.5)] },
      { op: 'MatMul', inputs: ['y', 'bm'], outputs: ['m'] },
      { op: 'MatMul', inputs: ['y', 'vec'], outputs: ['v'] },
    ],
  },
  'resize, pad, reductions, transpose, expand, tile, depth-to-space, topk': {
    inputs: [X([1, 4, 5, 6])],
    outputs: ['rs', 'rz', 'pd', 'rm', 'tr', 'ex', 'tl', 'ds', 'tv', { name: 'ti', elemType: 7 }, 'sm', { name: 'am', elemType: 7 }],
    initializers: [
      tensor('scales', 1, [4], [1, 1, 2, 1.5]), I64('sizes', [1, 4, 3, 7]), I64('pads', [0, 0, 1, -1, 0, 0, 2, 0]),
      I64('eshape', [3, 1, 1, 1]), I64('reps', [1, 2, 1, 3]), I64('k', [2]),
    ],
    nodes: [
      { op: 'Resize', inputs: ['x', '', 'scales'], outputs: ['rs'], attrs: [str('mode', 'nearest')] },
      { op: 'Resize', inputs: ['x', '', '', 'sizes'], outputs: ['rz'], attrs: [str('mode', 'linear')] },
      { op: 'Pad', inputs: ['x', 'pads'], outputs: ['pd'] },
      { op: 'ReduceMean', inputs: ['x'], outputs: ['rm'], attrs: [ints('axes', [1, -1]), int('keepdims', 0)] },
      { op: 'Transpose', inputs: ['x'], outputs: ['tr'] },
      { op: 'Expand', inputs: ['rm', 'eshape'], outputs: ['ex'] },
      { op: 'Tile', inputs: ['x', 'reps'], outputs: ['tl'] },
      { op: 'DepthToSpace', inputs: ['x'], outputs: ['ds'], attrs: [int('blocksize', 2)] },
      { op: 'TopK', inputs: ['x', 'k'], outputs: ['tv', 'ti'], attrs: [int('axis', 1)] },
      { op: 'Softmax', inputs: ['x'], outputs: ['sm'], attrs: [int('axis', 1)] },
      { op: 'ArgMax', inputs: ['x'], outputs: ['am'], attrs: [int('axis', 2)] },
    ],
  },
  'normalisation, activations, dropout mask, broadcasting, per-channel Q/DQ, Squeeze without axes': {
    inputs: [X([1, 4, 1, 5])],
    outputs: ['bn', 'hs', 'lr', 'dr', { name: 'mask', elemType: 9 }, 'cl', 'bc', 'sq', 'dq', { name: 'q', elemType: 3 }, 'id', 'ga'],
    initializers: [
      weights('scale', [4]), weights('bias', [4], 2), weights('mean', [4], 3), tensor('var', 1, [4], [1, 2, 3, 4]),
      weights('row', [5], 4), weights('col', [4, 1, 1], 5), tensor('ratio', 1, [], [0.5]), tensor('train', 9, [], [1]),
      tensor('qs', 1, [4], [0.1, 0.2, 0.3, 0.4]), tensor('qz', 3, [4], [0, 0, 0, 0]), tensor('lo', 1, [], [-1]),
      tensor('gi', 7, [2], [4, 0]),
    ],
    nodes: [
      { op: 'BatchNormalization', inputs: ['x', 'scale', 'bias', 'mean', 'var'], outputs: ['bn'] },
      { op: 'HardSwish', inputs: ['bn'], outputs: ['hs'] },
      { op: 'LeakyRelu', inputs: ['hs'], outputs: ['lr'], attrs: [float('alpha', 0.1)] },
      { op: 'Dropout', inputs: ['lr', 'ratio', 'train'], outputs: ['dr', 'mask'] },
      { op: 'Clip', inputs: ['dr', 'lo'], outputs: ['cl'] },
      { op: 'Sub', inputs: ['cl', 'row'], outputs: ['s1'] },
      { op: 'Div', inputs: ['s1', 'col'], outputs: ['bc'] },
      { op: 'Squeeze', inputs: ['bc'], outputs: ['sq'] },
      { op: 'QuantizeLinear', inputs: ['x', 'qs', 'qz'], outputs: ['q'], attrs: [int('axis', 1)] },
      { op: 'DequantizeLinear', inputs: ['q', 'qs', 'qz'], outputs: ['dq'], attrs: [int('axis', 1)] },
      { op: 'Identity', inputs: ['dq'], outputs: ['id'] },
      { op: 'Gather', inputs: ['sq', 'gi'], outputs: ['ga'], attrs: [int('axis', -1)] },
    ],
    opset: 14,
  },
  'constants: ConstantOfShape, Range, Cast, Constant value_ints': {
    inputs: [X([2, 3])],
    outputs: ['y', { name: 'rg', elemType: 7 }],
    initializers: [I64('start', [1], []), I64('lim', [10], []), I64('delta', [3], [])],
    nodes: [
      { op: 'Constant', inputs: [], outputs: ['shp'], attrs: [ints('value_ints', [2, 3])] },
      { op: 'ConstantOfShape', inputs: ['shp'], outputs: ['z'] },
      { op: 'Range', inputs: ['start', 'lim', 'delta'], outputs: ['rg'] },
      { op: 'Cast', inputs: ['rg'], outputs: ['rgf'], attrs: [int('to', 1)] },
      { op: 'Add', inputs: ['x', 'z'], outputs: ['y0'] },
      { op: 'ReduceSum', inputs: ['rgf'], outputs: ['rs'], attrs: [int('keepdims', 1)] },
      { op: 'Mul', inputs: ['y0', 'rs'], outputs: ['y'] },
    ],
  },
}

async function compareWithOrt(spec: ModelSpec): Promise<void> {
  const model = buildModel(spec)
  const inferred = inferShapes(model)
  expect(inferred.unresolved).toEqual([])
  const names = inferred.order.flatMap((n) => n.output).filter((o) => !inferred.constants.has(o))
  const inputs = new Map(
    spec.inputs.map((i) => [i.name, { dtype: i.elemType, shape: inferred.tensors.get(i.name)!.shape! }]),
  )
  const actual = await runtimeShapes(model, names, inputs)
  for (const name of names) {
    const mine = inferred.tensors.get(name)
    expect({ name, shape: mine?.shape, dtype: mine?.dtype }).toEqual({
      name,
      shape: actual.get(name)?.shape,
      dtype: actual.get(name)?.dtype,
    })
  }
}

describe('static shape inference agrees with ONNX Runtime', () => {
  for (const [title, spec] of Object.entries(CASES)) {
    it(title, async () => compareWithOrt(spec))
  }

  it('binds a symbolic batch to 1 and keeps other symbolic dims symbolic', () => {
    const shapes = tensorShapes(
      buildModel({
        inputs: [X(['batch', 3, 'H', 'W'])],
        outputs: ['y'],
        initializers: [weights('w', [8, 3, 3, 3])],
        nodes: [
          { op: 'Relu', inputs: ['x'], outputs: ['r'] },
          { op: 'Conv', inputs: ['r', 'w'], outputs: ['y'] },
        ],
      }),
    )
    expect(shapes.get('r')).toEqual([1, 3, 'H', 'W'])
    expect(shapes.get('y')).toEqual([1, 8, '?', '?'])
  })

  it('binds an unnamed or -1 batch dim to 1 without touching other unknown dims', () => {
    const model = buildModel({
      inputs: [X([-1, 3, 4, 4]), X(['', 3, 4, 4], 'y')],
      outputs: ['s'],
      nodes: [{ op: 'Add', inputs: ['x', 'y'], outputs: ['s'] }],
    })
    expect(tensorShapes(model).get('s')).toEqual([1, 3, 4, 4])
  })

  it('uses given input shapes for dynamic spatial dims', () => {
    const model = buildModel({
      inputs: [X(['batch', 3, 'H', 'W'])],
      outputs: ['y'],
      initializers: [weights('w', [8, 3, 3, 3])],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: [ints('strides', [2, 2])] }],
    })
    expect(tensorShapes(model, { inputShapes: { x: [1, 3, 32, 20] } }).get('y')).toEqual([1, 8, 15, 9])
  })
})
