/**
 * The generated onnx.proto classes and their types, in one place. protobufjs types nested
 * messages as the loose I* interfaces; models that come from decodeModel() (or
 * onnx.ModelProto.fromObject) hold real class instances whose repeated fields are always arrays,
 * so the helpers here narrow to the class types once instead of `?? []` everywhere.
 */
import onnxProto from 'onnx-proto'
import { StudioError } from '../../common/errors.js'

export const { onnx } = onnxProto
type O = typeof onnxProto.onnx
export type ModelProto = InstanceType<O['ModelProto']>
export type IModelProto = onnxProto.onnx.IModelProto
export type TensorProto = InstanceType<O['TensorProto']>
export type ValueInfoProto = InstanceType<O['ValueInfoProto']>
export type AttributeProto = Omit<InstanceType<O['AttributeProto']>, 't' | 'g'> & {
  t?: TensorProto | null
  g?: GraphProto | null
}
export type NodeProto = Omit<InstanceType<O['NodeProto']>, 'attribute'> & { attribute: AttributeProto[] }
export type GraphProto = Omit<InstanceType<O['GraphProto']>, 'node' | 'initializer' | 'input' | 'output' | 'valueInfo'> & {
  node: NodeProto[]
  initializer: TensorProto[]
  input: ValueInfoProto[]
  output: ValueInfoProto[]
  valueInfo: ValueInfoProto[]
}

/** The model's graph as a class instance; throws MODEL_INVALID when there is none. */
export function graphOf(model: IModelProto): GraphProto {
  if (!model.graph) throw new StudioError('MODEL_INVALID', 'it has no graph (the file is not an ONNX model or is damaged)')
  return model.graph as GraphProto
}
