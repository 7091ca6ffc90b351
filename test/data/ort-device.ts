/**
 * A minimal Device for main/data tests: runs onnxruntime-node in-process on the batches it is
 * given. Real inference on real models; only the child-process plumbing of LocalDevice is left out.
 */
import * as ort from 'onnxruntime-node'
import { StudioError } from '../../common/errors.js'
import type { DeviceInfo, DType, SessionOptions, TensorInfo } from '../../common/types.js'
import type {
  Batch,
  Deployment,
  Device,
  ModelRef,
  Predictions,
  ProgressCallback,
  RawLatency,
} from '../../devices/device.js'

function tensorInfo(meta: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, dtype: 'unknown', shape: [] }
  return { name: meta.name, dtype: meta.type as DType, shape: [...meta.shape] }
}

export class OrtTestDevice implements Device {
  readonly kind = 'local'
  readonly name = 'in-test-ort'
  private readonly sessions = new Map<string, ort.InferenceSession>()
  /** Sizes of the batches evaluate() received, for assertions. */
  readonly batchSizes: number[] = []

  probe(): Promise<DeviceInfo> {
    return Promise.resolve({
      kind: 'local',
      name: this.name,
      arch: process.arch,
      os: process.platform,
      cpuModel: 'test',
      cores: 1,
      ramBytes: 0,
      runtime: 'onnxruntime-node',
      runtimeVersion: ort.env.versions.common,
      governor: null,
      loadAverage: null,
      temperatureC: null,
    })
  }

  async prepare(model: ModelRef, session: SessionOptions): Promise<Deployment> {
    const s = await ort.InferenceSession.create(model.path, {
      intraOpNumThreads: session.threads,
      graphOptimizationLevel: session.graphOptimizationLevel,
    })
    this.sessions.set(model.path, s)
    return {
      deviceName: this.name,
      model,
      sha256: model.sha256 ?? '',
      session,
      inputs: s.inputMetadata.map(tensorInfo),
      outputs: s.outputMetadata.map(tensorInfo),
      sessionCreateMs: 0,
      sessionRssBytes: null,
    }
  }

  benchmark(): Promise<RawLatency> {
    return Promise.reject(new StudioError('INTERNAL', 'not used by these tests'))
  }

  async evaluate(
    dep: Deployment,
    batches: AsyncIterable<Batch>,
    total: number,
    hooks: { onProgress?: ProgressCallback; signal?: AbortSignal } = {},
  ): Promise<Predictions> {
    const session = this.sessions.get(dep.model.path)
    const input = dep.inputs[0]
    const output = dep.outputs[0]
    if (session === undefined || input === undefined || output === undefined) {
      throw new StudioError('INTERNAL', 'evaluate() before prepare()')
    }
    let scores = new Float32Array(0)
    let classes = 0
    let done = 0
    let inferSeconds = 0
    for await (const b of batches) {
      if (hooks.signal?.aborted === true) throw new StudioError('CANCELLED', 'cancelled')
      this.batchSizes.push(b.count)
      const t0 = performance.now()
      const out = await session.run({ [input.name]: new ort.Tensor('float32', b.data, b.dims) })
      inferSeconds += (performance.now() - t0) / 1000
      const data = out[output.name]?.data as Float32Array
      if (classes === 0) {
        classes = data.length / b.count
        scores = new Float32Array(total * classes)
      }
      scores.set(data, b.offset * classes)
      done += b.count
      hooks.onProgress?.({ phase: 'accuracy', done, total, fraction: done / total })
    }
    return { count: done, classes, scores, inferSeconds }
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await s.release()
    this.sessions.clear()
  }
}
