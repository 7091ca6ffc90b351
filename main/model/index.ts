/** main/model: ONNX read/write and inspection. See the files for details. */
export { decodeModel, encodeModel, loadModel, readModelFile, saveModel } from './onnx-io.js'
export { inspectBytes, inspectDecoded, inspectModel, outputMacs, type InspectOptions } from './inspect.js'
export { inferShapes, tensorShapes, declaredShape, type InferOptions, type ShapeInference, type TensorMeta } from './shapes.js'
export { runtimeShapes, type RuntimeShape } from './runtime-shapes.js'
export { topoSort, defaultOpset } from './graph.js'
export { macsByOutput, nodeMacs } from './macs.js'
export { peakActivationBytes, activationBytes, type LivenessInput } from './memory.js'
export { findParams, type ParamIndex, type ParamTensor } from './params.js'
export { GraphIndex } from './graph-index.js'
export { validateModel } from './validate.js'
export {
  bytesPerElement,
  dtypeName,
  ElemType,
  float32ToInitializer,
  floatToHalf,
  initializerToFloat32,
  numElements,
  tensorBytes,
  tensorDims,
  tensorValues,
} from './tensor.js'
export { onnx, graphOf, type ModelProto, type GraphProto, type NodeProto, type TensorProto } from './proto.js'
