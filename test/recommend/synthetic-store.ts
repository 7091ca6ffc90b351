/**
 * A store filled with generated models, variants and finished runs (with latency samples), for the
 * recommend tests and `npm run bench:recommend`. Real SQLite through the Store API, so the runs,
 * metrics and samples are exactly what measuring would have written.
 */
import { makeRng } from '../../common/stats.js'
import type { InspectResult } from '../../common/types.js'
import type { Store } from '../../main/store/store.js'
import { benchResult, deviceInfo, evalResult } from '../store/fixtures.js'

export interface SyntheticOptions {
  roots: number
  variantsPerRoot: number
  /** Finished runs to write in all (bench and eval, over every device). */
  runs: number
  samplesPerBench: number
  seed: number
  devices?: { name: string; kind: 'local' | 'ssh' | 'serial' }[]
}

function inspectFor(rnd: () => number, sha: string): InspectResult {
  const params = Math.round(20_000 + rnd() * 400_000)
  const int8 = rnd() < 0.3
  return {
    params,
    macs: Math.round(1e6 + rnd() * 2e7),
    weightsBytes: params * (int8 ? 1 : 4),
    paramsByDtype: int8 ? { int8: { count: params, bytes: params } } : { float32: { count: params, bytes: params * 4 } },
    fileBytes: Math.round(params * (int8 ? 1.1 : 4.05)),
    gzipBytes: params * 3,
    sha256: sha,
    peakActivationBytes: Math.round(10_000 + rnd() * 300_000),
    opset: 13,
    inputs: [],
    outputs: [],
    opCounts: {},
    layers: [],
    shapeSource: 'static',
  }
}

/** Fills `store`; returns the ids of the original models. */
export function populate(store: Store, o: SyntheticOptions): number[] {
  const rnd = makeRng(o.seed)
  const devices = o.devices ?? [
    { name: 'local', kind: 'local' as const },
    { name: 'pi4', kind: 'ssh' as const },
    { name: 'mcu', kind: 'serial' as const },
  ]
  const deviceRows = devices.map((d) => store.upsertDevice({ name: d.name, kind: d.kind }))
  const models: number[] = []
  const roots: number[] = []
  for (let r = 0; r < o.roots; r++) {
    const sha = `root-${o.seed}-${r}-`.padEnd(64, 'x')
    const root = store.upsertModel({ name: `net${r}`, path: `/models/net${r}.onnx`, sha256: sha, family: `fam${r % 5}`, inspect: inspectFor(rnd, sha) })
    roots.push(root.id)
    models.push(root.id)
    for (let v = 0; v < o.variantsPerRoot; v++) {
      const vsha = `var-${o.seed}-${r}-${v}-`.padEnd(64, 'x')
      const kind = ['int8', 'fp16', 'pruned'][v % 3] ?? 'int8'
      const row = store.upsertModel({
        name: `net${r}-${kind}${v}`,
        path: `/models/net${r}-${v}.onnx`,
        sha256: vsha,
        family: root.family,
        kind,
        parentId: root.id,
        recipe: { method: kind === 'fp16' ? 'fp16' : kind === 'int8' ? 'int8-dynamic' : 'prune-structured', params: {} },
        inspect: inspectFor(rnd, vsha),
      })
      models.push(row.id)
    }
  }
  for (let i = 0; i < o.runs; i++) {
    const modelId = models[Math.floor(rnd() * models.length)] as number
    const dIndex = Math.floor(rnd() * deviceRows.length)
    const device = deviceRows[dIndex]
    const kind = rnd() < 0.5 ? 'bench' : 'eval'
    if (!device) continue
    const id = store.createRun({ kind, modelId, deviceId: device.id, spec: { session: { threads: 1 } } })
    store.startRun(id, deviceInfo(device.name))
    if (kind === 'bench') {
      const p50 = 50 + rnd() * (device.kind === 'serial' ? 400_000 : 20_000)
      const samples = Array.from({ length: o.samplesPerBench }, () => p50 * (0.9 + rnd() * 0.3))
      store.appendSamples(id, samples)
      const r = benchResult()
      r.latencyUs = { ...r.latencyUs, p50, p90: p50 * (1.05 + rnd() * 0.4), ci95: [p50 * 0.99, p50 * 1.01], count: samples.length }
      r.memory = { peakRssBytes: device.kind === 'serial' ? null : Math.round(2e6 + rnd() * 3e7), sessionRssBytes: null }
      r.runId = id
      if (rnd() < 0.1) store.endRun(id, 'failed', 'DEVICE_ERROR: generated failure', r)
      else store.finishRun(id, r)
    } else {
      const e = evalResult()
      e.top1 = Math.round((0.6 + rnd() * 0.35) * 1000) / 1000
      e.count = rnd() < 0.3 ? 500 : 10_000
      e.runId = id
      if (rnd() < 0.05) e.dataset = 'mnist'
      store.finishRun(id, e)
    }
  }
  return roots
}
