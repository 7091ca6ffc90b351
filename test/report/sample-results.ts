/** Realistic result items for report tests: two devices, four families, one hostile model name. */
import type { BenchResult, DeviceInfo, EvalResult, InspectResult } from '../../common/types.js'
import { DEFAULT_LATENCY_SPEC, DEFAULT_SESSION_OPTIONS } from '../../common/types.js'
import type { ResultItem } from '../../main/report/rows.js'

export const XSS_NAME = '<img src=x onerror=alert(1)>'
export const TRICKY_NAME = 'resnet8, "tiny"\nv2'

export function device(name: string, kind: DeviceInfo['kind'] = 'local'): DeviceInfo {
  return {
    kind,
    name,
    arch: 'x64',
    os: 'Linux 6.1',
    cpuModel: 'AMD EPYC',
    cores: 2,
    ramBytes: 8 * 1024 ** 3,
    runtime: 'onnxruntime-node',
    runtimeVersion: '1.30.0',
    governor: null,
    loadAverage: [0.1, 0.1, 0.1],
    temperatureC: null,
    nodeVersion: 'v20.19.0',
  }
}

export function bench(
  model: string,
  env: DeviceInfo,
  p50: number,
  cv = 0.03,
  warnings: string[] = [],
): BenchResult {
  return {
    model,
    latencyUs: {
      p50,
      p90: p50 * 1.08,
      p95: p50 * 1.12,
      p99: p50 * 1.3,
      mean: p50 * 1.02,
      min: p50 * 0.95,
      max: p50 * 1.6,
      std: p50 * cv,
      cv,
      ci95: [p50 * 0.99, p50 * 1.012],
      count: 400,
      outliers: 3,
    },
    firstInferenceUs: p50 * 3,
    sessionCreateMs: 12.5,
    memory: { peakRssBytes: 6_500_000, sessionRssBytes: 3_000_000 },
    warnings,
    env,
    session: DEFAULT_SESSION_OPTIONS,
    spec: DEFAULT_LATENCY_SPEC,
  }
}

export function evaluation(model: string, top1: number): EvalResult {
  return {
    model,
    dataset: 'fashion-mnist',
    split: 'test',
    top1,
    top5: 0.998,
    count: 10_000,
    perClass: [],
    confusion: [],
    preprocessing: {
      layout: 'NCHW',
      channels: 1,
      height: 28,
      width: 28,
      scale: 1 / 255,
      mean: [0],
      std: [1],
    },
  }
}

export function inspect(params: number, dtype = 'float32'): InspectResult {
  const bytes = dtype === 'int8' ? params : params * 4
  return {
    params,
    macs: params * 40,
    weightsBytes: bytes,
    paramsByDtype: { [dtype]: { count: params, bytes } },
    fileBytes: bytes + 2048,
    gzipBytes: Math.round(bytes * 0.9),
    sha256: '0'.repeat(64),
    peakActivationBytes: 50_176,
    opset: 17,
    inputs: [],
    outputs: [],
    opCounts: {},
    layers: [],
    shapeSource: 'static',
  }
}

/** Host: fp32/int8/half-width/pruned of resnet8 plus a CNN; a board with two variants; two unplottable rows. */
export function sampleItems(): ResultItem[] {
  const host = device('this computer')
  const pi = device('pi5', 'ssh')
  return [
    {
      model: 'resnet8',
      family: 'resnet',
      variant: 'fp32',
      inspect: inspect(78_000),
      bench: bench('resnet8', host, 182),
      eval: evaluation('resnet8', 0.921),
    },
    {
      model: 'resnet8-int8',
      family: 'resnet',
      parent: 'resnet8',
      recipe: 'INT8 static · minmax · per-channel · uint8 · 500 samples',
      inspect: inspect(78_000, 'int8'),
      bench: bench('resnet8-int8', host, 114),
      eval: evaluation('resnet8-int8', 0.918),
    },
    {
      model: 'resnet8-half',
      family: 'resnet',
      variant: 'fp32',
      inspect: inspect(20_000),
      bench: bench('resnet8-half', host, 84),
      eval: evaluation('resnet8-half', 0.905),
    },
    {
      model: 'resnet8-pruned',
      family: 'resnet',
      parent: 'resnet8',
      recipe: 'Structured pruning · 25 % · l1',
      inspect: inspect(78_000),
      bench: bench('resnet8-pruned', host, 190, 0.14),
      eval: evaluation('resnet8-pruned', 0.9),
    },
    {
      model: 'tiny-cnn',
      family: 'cnn',
      inspect: inspect(12_000),
      bench: bench('tiny-cnn', host, 40),
      eval: evaluation('tiny-cnn', 0.88),
    },
    {
      model: XSS_NAME,
      family: 'cnn',
      inspect: inspect(9_000),
      bench: bench(XSS_NAME, host, 55, 0.02, ['load average 3.1 above 2 cores at start']),
      eval: evaluation(XSS_NAME, 0.86),
    },
    {
      model: 'resnet8',
      family: 'resnet',
      variant: 'fp32',
      device: 'pi5',
      bench: bench('resnet8', pi, 2100),
      eval: evaluation('resnet8', 0.921),
    },
    {
      model: 'resnet8-int8',
      family: 'resnet',
      parent: 'resnet8',
      device: 'pi5',
      bench: bench('resnet8-int8', pi, 950),
      eval: evaluation('resnet8-int8', 0.917),
    },
    { model: TRICKY_NAME, family: 'resnet', device: 'pi5', bench: bench(TRICKY_NAME, pi, 700) },
    {
      model: 'mobilenet-fp16',
      family: 'mobilenet',
      inspect: inspect(200_000, 'float16'),
      eval: evaluation('mobilenet-fp16', 0.93),
    },
  ]
}
