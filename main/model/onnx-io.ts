/**
 * Reading and writing ONNX files with the generated protobufjs classes of onnx.proto.
 * Every failure to read a model surfaces as one StudioError('MODEL_INVALID' | 'FILE_NOT_FOUND')
 * whose message names the file, the problem and the fix; protobufjs' own errors become the cause.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename } from 'node:path'
import { StudioError } from '../../common/errors.js'
import { printable } from '../../common/format.js'
import { openRegularFile, readAll } from '../../devices/regular-file.js'
import { checkModelFraming } from './framing.js'
import { onnx, type IModelProto, type ModelProto } from './proto.js'
import { validateModel } from './validate.js'

/** Protobuf's own hard limit for one message; beyond it the file cannot be a single-file ONNX. */
const MAX_MODEL_BYTES = 2 ** 31 - 1

const REEXPORT =
  'Re-export the model (e.g. torch.onnx.export or onnx.save_model) and import the complete .onnx file.'

function invalid(label: string, problem: string, cause?: unknown): StudioError {
  // Names inside `problem` come from the file: escaped, so the message stays one line.
  return new StudioError('MODEL_INVALID', `Error loading ONNX model ${printable(label)}: ${printable(problem, 600)}. ${REEXPORT}`, { cause })
}

function describe(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e)
  return text.split('\n')[0]?.slice(0, 120) ?? ''
}

/**
 * Decodes and validates ONNX bytes. `label` names the model in messages (a file name).
 * Never throws anything but StudioError('MODEL_INVALID').
 */
export function decodeModel(bytes: Uint8Array, label = 'from memory'): ModelProto {
  if (bytes.length === 0) throw invalid(label, 'the file is empty')
  if (bytes.length > MAX_MODEL_BYTES) throw invalid(label, 'the file is larger than the 2 GB protobuf limit')
  let model: ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (e) {
    throw invalid(label, `the file is truncated or not an ONNX protobuf (${describe(e)})`, e)
  }
  try {
    validateModel(model)
  } catch (e) {
    if (e instanceof StudioError) throw invalid(label, e.message, e)
    // A RangeError or TypeError here means the decoded structure is nonsense (a corrupt file).
    throw invalid(label, `the model structure is corrupt (${describe(e)})`, e)
  }
  return model
}

/**
 * The bytes of a model file: a regular file within the size limit (devices/regular-file.ts) whose
 * top-level framing looks like ONNX, so a device, a FIFO, a folder or a huge non-model file is
 * refused with one line before it is read whole.
 */
export async function readModelFile(path: string): Promise<Buffer> {
  const { fh, size } = await openRegularFile(path, { what: 'ONNX model', code: 'MODEL_INVALID' })
  try {
    if (size === 0) throw invalid(basename(path), 'the file is empty')
    try {
      await checkModelFraming(fh, size)
    } catch (e) {
      throw invalid(basename(path), `the file is truncated or not an ONNX protobuf (${describe(e)})`, e)
    }
    return await readAll(fh, size)
  } catch (e) {
    if (e instanceof StudioError) throw e
    throw new StudioError('FILE_NOT_FOUND', `ONNX model ${path} cannot be read (${describe(e)}). Check its permissions.`, { cause: e })
  } finally {
    await fh.close()
  }
}

/** Reads and validates an .onnx file. */
export async function loadModel(path: string): Promise<ModelProto> {
  return decodeModel(await readModelFile(path), basename(path))
}

/** Serializes a model to protobuf bytes. */
export function encodeModel(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish()
}

/**
 * Writes a model atomically: to a temporary file in the same folder, then a rename, so a crash
 * or a full disk never leaves a half-written .onnx where a good one is expected.
 */
export async function saveModel(model: IModelProto, path: string): Promise<void> {
  const bytes = encodeModel(model)
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const file = await open(tmp, 'wx')
    try {
      await file.writeFile(bytes)
      await file.sync() // the rename must not land before the data does
    } finally {
      await file.close()
    }
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true })
    throw new StudioError('BAD_INPUT', `Cannot save ONNX model to ${path} (${describe(e)}). Check the folder exists and is writable.`, {
      cause: e,
    })
  }
}
