/**
 * `npm run bench:recommend` — how fast `recommend` answers from stored runs (target < 1 s with
 * 1,000 runs in the store). A temp store is filled with generated models, variants and 1,000
 * finished runs whose benchmarks carry latency samples (the query must not read them), then:
 *  (a) the engine's answer in this process (store query + ranking), median of --repeats, first
 *      call (cold statement cache) shown apart;
 *  (b) `edgebench recommend --json` end to end as a user runs it, interleaved (tools/bench/ab.ts)
 *      with `edgebench runs list --limit 1` on the same store: the per-round difference is what
 *      recommend itself costs over the CLI's start-up (tsx compiles the CLI at every start).
 * Options: --runs N (default 1000), --samples N per benchmark (default 2000), --repeats N (default 9), --json.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { median } from '../../common/stats.js'
import { recommendOn } from '../../main/recommend/recommend.js'
import { Store } from '../../main/store/store.js'
import { populate } from '../../test/recommend/synthetic-store.js'
import { abRounds } from './ab.js'

const root = resolve(import.meta.dirname, '../..')
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '2000' },
    repeats: { type: 'string', default: '9' },
    json: { type: 'boolean', default: false },
  },
})
const out = (s: string): void => void process.stdout.write(`${s}\n`)
const runs = Number(values.runs)
const dir = mkdtempSync(join(tmpdir(), 'edgebench-bench-recommend-'))
const db = join(dir, 'studio.db')
const constraints = { maxLatencyUs: 5000, maxSizeBytes: 600_000, minTop1: 0.8 }

try {
  let t = performance.now()
  const store = Store.open(db)
  populate(store, { roots: 60, variantsPerRoot: 4, runs, samplesPerBench: Number(values.samples), seed: 3, devices: [{ name: 'local', kind: 'local' }] })
  const fillMs = performance.now() - t
  const sampleRows = runs * Number(values.samples) * 0.5
  const host = { store, inspect: async (): Promise<void> => undefined }
  const times: number[] = []
  let answer = await recommendOn(host, { device: 'local', constraints, dataset: 'fashion-mnist' })
  for (let i = 0; i < Number(values.repeats); i++) {
    t = performance.now()
    answer = await recommendOn(host, { device: 'local', constraints, dataset: 'fashion-mnist' })
    times.push(performance.now() - t)
  }
  store.close()
  // Cold: a fresh Store (new connection, empty page cache of the connection) answers once.
  t = performance.now()
  const cold = Store.open(db)
  await recommendOn({ store: cold, inspect: async () => undefined }, { device: 'local', constraints, dataset: 'fashion-mnist' })
  const coldMs = performance.now() - t
  cold.close()
  const timeCli = (args: string[], ok: number[]): number => {
    const t0 = performance.now()
    const r = spawnSync(process.execPath, [join(root, 'bin/edgebench.mjs'), '--db', db, ...args], { encoding: 'utf8' })
    if (!ok.includes(r.status ?? -1)) throw new Error(`${args[0]} failed: ${r.stderr}`)
    return performance.now() - t0
  }
  const recommendArgs = ['recommend', '--max-latency', '5ms', '--max-size', '600KB', '--min-top1', '80', '--dataset', 'fashion-mnist', '--json']
  const cliRounds = await abRounds({
    rounds: 3,
    a: async () => timeCli(['runs', 'list', '--limit', '1', '--json'], [0]),
    b: async () => timeCli(recommendArgs, [0, 1]),
  })
  const cli = cliRounds.b
  const overStart = median(cliRounds.b.map((b, i) => b - (cliRounds.a[i] ?? 0)))
  const result = {
    runs,
    approxSampleRows: sampleRows,
    fillStoreMs: fillMs,
    engineMedianMs: median(times),
    engineColdMs: coldMs,
    cliMedianMs: median(cli),
    cliStartOnlyMedianMs: cliRounds.aMedian,
    cliOverStartMedianMs: overStart,
    targetMs: 1000,
    choice: answer.choice?.modelName ?? null,
    ranked: answer.counts.ranked,
  }
  if (values.json) out(JSON.stringify(result, null, 2))
  else {
    out(`store: ${runs} finished runs (~${Math.round(sampleRows).toLocaleString('en-US')} latency samples), filled in ${(fillMs / 1000).toFixed(1)} s`)
    out(`recommend in process (query + ranking): median ${result.engineMedianMs.toFixed(1)} ms of ${times.length}, cold (new connection) ${coldMs.toFixed(1)} ms`)
    out(`edgebench recommend --json (whole process): median ${result.cliMedianMs.toFixed(0)} ms; 'runs list --limit 1' in the same rounds ${result.cliStartOnlyMedianMs.toFixed(0)} ms; recommend over start-up: median of per-round differences ${overStart.toFixed(0)} ms (${cli.length} rounds)`)
    out(`choice ${result.choice} of ${result.ranked} ranked; target < 1 s: ${result.engineMedianMs < 1000 ? 'met' : 'NOT met'} (engine), ${overStart < 1000 ? 'met' : 'NOT met'} (CLI over its start-up), whole process ${result.cliMedianMs < 1000 ? 'met' : 'NOT met'}`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
