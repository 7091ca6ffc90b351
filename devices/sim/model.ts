/**
 * The simulator's model: a real ONNX model in onnxruntime-node, fed the bytes the host uploaded
 * (uint8 HWC, MLPerf Tiny convention) converted with the model's own preprocessing — its model
 * card's spec when a card sits beside the file (resnet8.onnx → resnet8.json), else the default
 * derived from the input shape.
 */
import { readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { StudioError } from '../../common/errors.js'
import {
  makePixelWriter,
  parsePreprocessSpec,
  preprocessSpecFor,
  sampleElements,
} from '../../common/preprocess-spec.js'
import type { DType, PreprocessSpec, TensorInfo } from '../../common/types.js'

export interface SimModel {
  spec: PreprocessSpec
  /** Bytes one input holds: height × width × channels. */
  inputBytes: number
  /** Converts the uploaded bytes into the input tensor (once per upload). */
  setInput(bytes: Uint8Array): void
  /** One inference on the current input; the scores of the first output. */
  run(): Promise<Float32Array>
  close(): Promise<void>
}

function cardSpec(modelPath: string): PreprocessSpec | null {
  const cardPath = join(dirname(modelPath), `${basename(modelPath, '.onnx')}.json`)
  let raw: string
  try {
    raw = readFileSync(cardPath, 'utf8')
  } catch {
    return null
  }
  const card = JSON.parse(raw) as { preprocessing?: unknown }
  return card.preprocessing === undefined ? null : parsePreprocessSpec(card.preprocessing, cardPath)
}

function tensorInfo(meta: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, dtype: 'unknown', shape: [] }
  return { name: meta.name, dtype: meta.type as DType, shape: [...meta.shape] }
}

export async function loadSimModel(path: string): Promise<SimModel> {
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' })
  } catch (e) {
    throw new StudioError('MODEL_INVALID', `The simulator cannot load ${path}: ${(e as Error).message}`, {
      cause: e,
    })
  }
  const inMeta = session.inputMetadata[0]
  const outName = session.outputNames[0]
  if (inMeta === undefined || outName === undefined) {
    throw new StudioError('MODEL_INVALID', `${path} has no input or no output.`)
  }
  const input = tensorInfo(inMeta)
  const spec = cardSpec(path) ?? preprocessSpecFor(input)
  const dims =
    spec.layout === 'NCHW'
      ? [1, spec.channels, spec.height, spec.width]
      : [1, spec.height, spec.width, spec.channels]
  const data = new Float32Array(sampleElements(spec))
  const tensor = new ort.Tensor('float32', data, dims)
  const write = makePixelWriter(spec)
  const feeds = { [input.name]: tensor }
  return {
    spec,
    inputBytes: spec.height * spec.width * spec.channels,
    setInput(bytes) {
      write(bytes, spec.channels, data, 0)
    },
    async run() {
      const out = await session.run(feeds)
      const t = out[outName]
      if (t === undefined) throw new StudioError('INTERNAL', `No output ${outName}.`)
      return Float32Array.from(t.data as Float32Array)
    },
    async close() {
      await session.release()
    },
  }
}
