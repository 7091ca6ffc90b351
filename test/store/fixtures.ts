/** Small builders shared by the store tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchResult, DeviceInfo, EvalResult } from '../../common/types.js'
import { DEFAULT_LATENCY_SPEC, DEFAULT_SESSION_OPTIONS } from '../../common/types.js'

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'edgebench-store-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function deviceInfo(name = 'this-computer'): DeviceInfo {
  return {
    kind: 'local',
    name,
    arch: 'x64',
    os: 'linux',
    cpuModel: 'AMD EPYC',
    cores: 2,
    ramBytes: 8e9,
    runtime: 'onnxruntime-node',
    runtimeVersion: '1.30.0',
    governor: null,
    loadAverage: [0.5, 0.4, 0.3],
    temperatureC: null,
  }
}

export function benchResult(model = 'resnet8'): BenchResult {
  return {
    model,
    latencyUs: {
      p50: 182,
      p90: 190,
      p95: 195,
      p99: 210,
      mean: 184,
      min: 175,
      max: 260,
      std: 6,
      cv: 0.033,
      ci95: [180, 184],
      count: 200,
      outliers: 2,
    },
    firstInferenceUs: 900,
    sessionCreateMs: 12,
    memory: { peakRssBytes: 3_000_000, sessionRssBytes: null },
    warnings: [],
    env: deviceInfo(),
    session: DEFAULT_SESSION_OPTIONS,
    spec: DEFAULT_LATENCY_SPEC,
  }
}

export function evalResult(model = 'resnet8'): EvalResult {
  return {
    model,
    dataset: 'fashion-mnist',
    split: 'test',
    top1: 0.91,
    top5: 0.99,
    count: 10000,
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
