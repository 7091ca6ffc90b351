/** Shared fixtures of the local-device tests: a real model, real Fashion-MNIST images. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import onnxProto from 'onnx-proto'
import type { Batch } from '../../../devices/device.js'

/** A small real CNN (Conv/BN/Relu/MaxPool/GAP/Gemm) for 1×28×28 inputs with a dynamic batch axis. */
export const TINY_MODEL = fileURLToPath(new URL('../../fixtures/local/tiny-cnn.onnx', import.meta.url))
const TEST_IMAGES = fileURLToPath(
  new URL('../../../resources/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', import.meta.url),
)

export function modelNodeNames(path: string): string[] {
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(path))
  return (model.graph?.node ?? []).map((n) => n.name ?? '')
}

/** The first `n` test images, scaled to [0, 1], NCHW 1×28×28 each. */
export function fashionImages(n: number): Float32Array {
  const raw = gunzipSync(readFileSync(TEST_IMAGES))
  const pixels = raw.subarray(16, 16 + n * 784)
  return Float32Array.from(pixels, (p) => p / 255)
}

export async function* batchesOf(images: Float32Array, batchSize: number): AsyncGenerator<Batch> {
  const total = images.length / 784
  for (let offset = 0; offset < total; offset += batchSize) {
    const count = Math.min(batchSize, total - offset)
    // Subarrays on purpose: the device must not ship the whole backing buffer with each batch.
    yield {
      offset,
      count,
      data: images.subarray(offset * 784, (offset + count) * 784),
      dims: [count, 1, 28, 28],
    }
  }
}

export function argmaxRows(scores: ArrayLike<number>, classes: number): number[] {
  const out: number[] = []
  for (let r = 0; r * classes < scores.length; r++) {
    let best = 0
    for (let c = 1; c < classes; c++)
      if ((scores[r * classes + c] as number) > (scores[r * classes + best] as number)) best = c
    out.push(best)
  }
  return out
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
