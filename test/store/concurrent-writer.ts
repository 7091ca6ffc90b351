/**
 * One of several processes writing the same database at once (test/store/concurrency.test.ts):
 * each round is a whole run's life — created, started, predictions appended in chunks, metrics,
 * ended — as a CLI eval does it. Prints `done <failures>` and one line per failure.
 */
import { Store } from '../../main/store/store.js'

const [path, roundsArg] = process.argv.slice(2)
if (path === undefined) throw new Error('usage: concurrent-writer.ts <db> [rounds]')
const store = Store.open(path)
const device = store.upsertDevice({ name: 'local', kind: 'local' })
const model = store.upsertModel({ name: 'm', path: '/m.onnx', sha256: 'a'.repeat(64) })
let failures = 0
for (let i = 0; i < Number(roundsArg ?? 100); i++) {
  try {
    const id = store.createRun({ kind: 'eval', modelId: model.id, deviceId: device.id, spec: {} })
    store.startRun(id, null)
    for (let k = 0; k < 5; k++) store.appendPredictions(id, k * 10, new Float32Array(100), 10)
    store.appendSamples(id, [1, 2, 3])
    store.setMetrics(id, { 'x.round': i })
    store.endRun(id, 'failed', { code: 'INTERNAL', message: `round ${i}` })
  } catch (e) {
    failures++
    console.log(e instanceof Error ? e.message : String(e))
  }
}
store.close()
console.log(`done ${failures}`)
