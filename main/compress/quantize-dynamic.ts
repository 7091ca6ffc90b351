/**
 * INT8 dynamic quantization: weights stored int8 (symmetric, per output channel by default),
 * activations quantized at run time for each inference. Conv → DynamicQuantizeLinear + ConvInteger
 * with the scales applied in float afterwards (ORT's ConvInteger only takes a per-tensor weight zero
 * point, which symmetric weights satisfy while keeping per-channel scales); MatMul and plain Gemm →
 * com.microsoft DynamicQuantizeMatMul. Everything else stays float.
 */
import { attrFloat, attrInt, topoSort } from '../model/graph.js'
import { graphOf, onnx, type ModelProto, type NodeProto, type TensorProto } from '../model/proto.js'
import { ElemType, float32ToInitializer, initializerToFloat32, tensorDims } from '../model/tensor.js'
import { GraphIndex } from '../model/graph-index.js'
import { assertFloatModel, cloneModel, makeNode } from './graph-edit.js'
import { quantizeWeights } from './quant-params.js'

export interface DynamicQuantOptions {
  perChannel: boolean
  exclude: string[]
}

export interface DynamicQuantResult {
  model: ModelProto
  quantized: { name: string; op: string }[]
  floatNodes: { name: string; op: string; reason: 'excluded' | 'unsupported' }[]
}

function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c] as number
  return out
}

export function quantizeDynamic(source: ModelProto, opts: DynamicQuantOptions): DynamicQuantResult {
  assertFloatModel(source, 'Start from the float32 model.')
  const model = cloneModel(source)
  const graph = graphOf(model)
  const index = new GraphIndex(graph)
  const inits = index.initializers
  const exclude = new Set(opts.exclude)
  const newInits: TensorProto[] = []
  const nodes: NodeProto[] = []
  const quantized: DynamicQuantResult['quantized'] = []
  const floatNodes: DynamicQuantResult['floatNodes'] = []
  const floatWeight = (name: string | undefined): TensorProto | undefined => {
    const t = name ? inits.get(name) : undefined
    return t && t.dataType === ElemType.FLOAT ? t : undefined
  }

  for (const node of graph.node) {
    const weight = floatWeight(node.input[1])
    const isGemmLike =
      node.opType === 'MatMul' ||
      (node.opType === 'Gemm' && attrInt(node, 'transA', 0) === 0 && attrFloat(node, 'alpha', 1) === 1 && attrFloat(node, 'beta', 1) === 1)
    const candidate = weight && (node.opType === 'Conv' || isGemmLike)
    if (!candidate) {
      if (['Conv', 'Gemm', 'MatMul'].includes(node.opType)) floatNodes.push({ name: node.name, op: node.opType, reason: 'unsupported' })
      nodes.push(node)
      continue
    }
    if (exclude.has(node.name)) {
      floatNodes.push({ name: node.name, op: node.opType, reason: 'excluded' })
      nodes.push(node)
      continue
    }
    const dims = tensorDims(weight)
    const base = index.consumersOf(weight.name).length === 1 ? weight.name : index.fresh(weight.name)
    const x = node.input[0] ?? ''
    const y = node.output[0] ?? ''
    const bias = floatWeight(node.input[2])
    if (node.opType === 'Conv') {
      const { q, scales } = quantizeWeights(initializerToFloat32(weight), dims, opts.perChannel ? 0 : null)
      const channels = dims[0] ?? 1
      const bshape = [1, channels, ...dims.slice(2).map(() => 1)]
      const [wq, ws, xq, xs, xz, yi, yf, scale, scaled] = ['_q', '_s', '_xq', '_xs', '_xz', '_int32', '_float', '_scale', '_scaled'].map((s) => index.fresh(`${base}${s}`)) as string[] as [string, string, string, string, string, string, string, string, string]
      newInits.push(
        float32ToInitializer(wq, dims, q, ElemType.INT8),
        float32ToInitializer(ws, scales.length === 1 ? [] : bshape, scales),
      )
      const convAttrs = node.attribute
      const convInteger = onnx.NodeProto.create({ opType: 'ConvInteger', input: [xq, wq, xz], output: [yi], name: index.fresh(`${node.name}_ConvInteger`), attribute: convAttrs }) as NodeProto
      nodes.push(
        makeNode('DynamicQuantizeLinear', [x], [xq, xs, xz], ''),
        convInteger,
        makeNode('Cast', [yi], [yf], '', { to: ElemType.FLOAT }),
        makeNode('Mul', [xs, ws], [scale], ''),
      )
      if (bias) {
        const bname = index.fresh(`${base}_bias`)
        newInits.push(float32ToInitializer(bname, bshape, initializerToFloat32(bias)))
        nodes.push(makeNode('Mul', [yf, scale], [scaled], ''), makeNode('Add', [scaled, bname], [y], ''))
      } else {
        nodes.push(makeNode('Mul', [yf, scale], [y], ''))
      }
    } else {
      // MatMul: B is [K, N]; Gemm with transB = 1 stores [N, K].
      const transB = node.opType === 'Gemm' && attrInt(node, 'transB', 0) === 1
      const rows = dims[0] ?? 1
      const cols = dims[1] ?? 1
      const w = transB ? transpose2d(initializerToFloat32(weight), rows, cols) : initializerToFloat32(weight)
      const kn = transB ? [cols, rows] : dims
      const { q, scales } = quantizeWeights(w, kn, opts.perChannel ? kn.length - 1 : null)
      const [wq, ws, wz] = ['_q', '_s', '_z'].map((s) => index.fresh(`${base}${s}`)) as [string, string, string]
      const shape = scales.length === 1 ? [] : [scales.length]
      newInits.push(
        float32ToInitializer(wq, kn, q, ElemType.INT8),
        float32ToInitializer(ws, shape, scales),
        float32ToInitializer(wz, shape, new Int8Array(scales.length), ElemType.INT8),
      )
      const inputs = [x, wq, ws, wz, ...(bias && node.opType === 'Gemm' ? [bias.name] : [])]
      nodes.push(makeNode('DynamicQuantizeMatMul', inputs, [y], index.fresh(`${node.name}_DynamicQuantizeMatMul`), {}, 'com.microsoft'))
    }
    quantized.push({ name: node.name, op: node.opType })
  }
  graph.node = nodes
  graph.initializer.push(...newInits)
  const read = new Set(graph.node.flatMap((n) => n.input))
  graph.initializer = graph.initializer.filter((t) => read.has(t.name))
  graph.node = topoSort(graph)
  if (!model.opsetImport.some((o) => o.domain === 'com.microsoft')) {
    model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }))
  }
  return { model, quantized, floatNodes }
}
