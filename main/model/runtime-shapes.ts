/**
 * The fallback of shape inference: run the model once in ONNX Runtime with the tensors in
 * question added as extra graph outputs, on zeros of the inputs' shapes (batch 1), and read the
 * shapes off the results. Used for data-dependent or exotic shapes the static rules cannot see.
 */
import * as ort from 'onnxruntime-node'
import type { Dim } from '../../common/types.js'
import { StudioError } from '../../common/errors.js'
import { encodeModel } from './onnx-io.js'
import { graphOf, onnx, type ModelProto } from './proto.js'
import { ElemType } from './tensor.js'

export interface RuntimeShape {
  dtype: number
  shape: number[]
}

const ORT_TYPES: Record<string, number> = {
  float32: ElemType.FLOAT,
  uint8: ElemType.UINT8,
  int8: ElemType.INT8,
  uint16: ElemType.UINT16,
  int16: ElemType.INT16,
  int32: ElemType.INT32,
  int64: ElemType.INT64,
  string: ElemType.STRING,
  bool: ElemType.BOOL,
  float16: ElemType.FLOAT16,
  float64: ElemType.DOUBLE,
  uint32: ElemType.UINT32,
  uint64: ElemType.UINT64,
}

function zeros(elemType: number, dims: number[]): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1)
  switch (elemType) {
    case ElemType.FLOAT:
      return new ort.Tensor('float32', new Float32Array(n), dims)
    case ElemType.DOUBLE:
      return new ort.Tensor('float64', new Float64Array(n), dims)
    case ElemType.FLOAT16:
      return new ort.Tensor('float16', new Uint16Array(n), dims)
    case ElemType.UINT8:
      return new ort.Tensor('uint8', new Uint8Array(n), dims)
    case ElemType.INT8:
      return new ort.Tensor('int8', new Int8Array(n), dims)
    case ElemType.INT32:
      return new ort.Tensor('int32', new Int32Array(n), dims)
    case ElemType.INT64:
      return new ort.Tensor('int64', new BigInt64Array(n), dims)
    case ElemType.BOOL:
      return new ort.Tensor('bool', new Uint8Array(n), dims)
    default:
      throw new StudioError('MODEL_UNSUPPORTED', `Input element type ${elemType} cannot be fed for the shape pass.`)
  }
}

/** A deep copy of the model whose graph also outputs `names` (tensors not yet outputs). */
function withExtraOutputs(model: ModelProto, names: readonly string[], dtypes: Map<string, number>): Uint8Array {
  const copy = onnx.ModelProto.decode(encodeModel(model))
  const graph = graphOf(copy)
  const existing = new Set(graph.output.map((o) => o.name))
  for (const name of names) {
    if (existing.has(name)) continue
    const elemType = dtypes.get(name)
    // The element type is enough for ORT; the shape is what we are asking it for.
    graph.output.push(
      onnx.ValueInfoProto.create({ name, type: elemType ? { tensorType: { elemType } } : undefined }),
    )
  }
  return encodeModel(copy)
}

/**
 * Shapes of `names` from one ORT run. `inputs` gives each graph input's element type and the
 * concrete dims to feed (symbolic dims must already be bound). `dtypes` are the element types
 * static inference found, where it did.
 */
export async function runtimeShapes(
  model: ModelProto,
  names: readonly string[],
  inputs: ReadonlyMap<string, { dtype: number; shape: Dim[] }>,
  dtypes: Map<string, number> = new Map(),
  signal?: AbortSignal,
): Promise<Map<string, RuntimeShape>> {
  const feeds: Record<string, ort.Tensor> = {}
  for (const [name, { dtype, shape }] of inputs) {
    if (!shape.every((d): d is number => typeof d === 'number')) {
      throw new StudioError(
        'MODEL_UNSUPPORTED',
        `Input '${name}' has symbolic dims [${shape.join(', ')}]; give concrete input shapes to infer the rest.`,
      )
    }
    feeds[name] = zeros(dtype, shape)
  }
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Shape inference was cancelled.')
  const bytes = withExtraOutputs(model, names, dtypes)
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'disabled',
      intraOpNumThreads: 1,
      logSeverityLevel: 4, // failures come back as exceptions; keep ORT's own stderr quiet
    })
  } catch (e) {
    throw new StudioError('MODEL_INVALID', `ONNX Runtime cannot load the model to infer shapes (${String(e)}).`, { cause: e })
  }
  try {
    const results = await session.run(feeds, [...names])
    if (signal?.aborted) throw new StudioError('CANCELLED', 'Shape inference was cancelled.')
    const out = new Map<string, RuntimeShape>()
    for (const name of names) {
      const t = results[name]
      if (t) out.set(name, { dtype: ORT_TYPES[t.type] ?? 0, shape: t.dims.map(Number) })
    }
    return out
  } catch (e) {
    if (e instanceof StudioError) throw e
    throw new StudioError('MODEL_INVALID', `ONNX Runtime failed to run the model on zeros (${String(e)}).`, { cause: e })
  } finally {
    await session.release()
  }
}
