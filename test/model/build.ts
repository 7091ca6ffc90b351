/**
 * A small ONNX graph builder for tests, on the same generated onnx-proto classes the studio uses.
 * Models built here are real: ONNX Runtime loads and runs them.
 */
import onnxProto from 'onnx-proto'
import { onnx, type ModelProto, type TensorProto } from '../../main/model/proto.js'
import { encodeModel, decodeModel } from '../../main/model/onnx-io.js'
import { float32ToInitializer } from '../../main/model/tensor.js'

export type Attr = onnxProto.onnx.IAttributeProto

export const int = (name: string, i: number): Attr => ({ name, type: 2, i })
export const ints = (name: string, v: number[]): Attr => ({ name, type: 7, ints: v })
export const float = (name: string, f: number): Attr => ({ name, type: 1, f })
export const floats = (name: string, v: number[]): Attr => ({ name, type: 6, floats: v })
export const str = (name: string, s: string): Attr => ({ name, type: 3, s: Buffer.from(s) })
export const tensorAttr = (name: string, t: TensorProto): Attr => ({ name, type: 4, t })

export interface NodeSpec {
  op: string
  inputs: string[]
  outputs: string[]
  attrs?: Attr[]
  domain?: string
}

export interface ModelSpec {
  inputs: { name: string; elemType: number; dims: (number | string)[] }[]
  outputs: (string | { name: string; elemType: number })[]
  nodes: NodeSpec[]
  initializers?: TensorProto[]
  opset?: number
}

/** Deterministic pseudo-random floats (no Math.random, so failures reproduce). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  }
}

export function weights(name: string, dims: number[], seed = 1): TensorProto {
  const rnd = seeded(seed)
  const n = dims.reduce((a, b) => a * b, 1)
  return float32ToInitializer(name, dims, Float32Array.from({ length: n }, () => rnd()))
}

export function tensor(name: string, dataType: number, dims: number[], values: number[]): TensorProto {
  if (dataType === 7) return onnx.TensorProto.create({ name, dataType, dims, int64Data: values })
  if (dataType === 1) return onnx.TensorProto.create({ name, dataType, dims, floatData: values })
  return onnx.TensorProto.create({ name, dataType, dims, int32Data: values })
}

function dim(d: number | string): onnxProto.onnx.TensorShapeProto.IDimension {
  if (d === '') return {} // an unnamed unknown dim
  return typeof d === 'number' ? { dimValue: d } : { dimParam: d }
}

/** Builds the model and passes it through encode/decode, as if it had been loaded from a file. */
export function buildModel(spec: ModelSpec): ModelProto {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgebench-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: n.attrs ?? [],
        domain: n.domain ?? '',
      })),
      initializer: spec.initializers ?? [],
      input: spec.inputs.map((i) => ({
        name: i.name,
        type: { tensorType: { elemType: i.elemType, shape: { dim: i.dims.map(dim) } } },
      })),
      output: spec.outputs.map((o) =>
        typeof o === 'string'
          ? { name: o, type: { tensorType: { elemType: 1 } } }
          : { name: o.name, type: { tensorType: { elemType: o.elemType } } },
      ),
    },
  })
  return decodeModel(encodeModel(model), 'built in test')
}

export function bytesOf(spec: ModelSpec): Uint8Array {
  return encodeModel(buildModel(spec))
}
