/**
 * The engine worker: a child process that runs every job that needs ONNX Runtime outside the
 * device runners — deriving variants (calibration, drift explanation, load checks, pruning and
 * whatever else main/compress grows) and the runtime pass of shape inference. `session.run`
 * blocks its thread and a bad model can crash ORT, so neither may happen in the process that owns
 * the window; here they block and crash only this process. Forked by engine.ts, one per job.
 */
import { setPriority } from 'node:os'
import * as ort from 'onnxruntime-node'
import { toStudioError } from '../../common/errors.js'
import { bundledExecutionProviders } from '../../devices/local/measure.js'
import { deriveVariantFile } from '../compress/derive.js'
import { decodeModel } from '../model/onnx-io.js'
import { runtimeShapes } from '../model/runtime-shapes.js'
import type { FromEngine, ToEngine } from './engine-messages.js'

if (!process.send) {
  process.stderr.write('engine-worker is a child process of the studio; it cannot run on its own\n')
  process.exit(2)
}

/**
 * Calibration runs ORT on every core; below-normal priority lets the scheduler prefer the
 * window's process whenever both want a core (on Linux nice applies per thread, and ORT's pool
 * threads, made later by this thread, inherit it). The device runner keeps normal priority: its
 * timings must not depend on what else runs.
 */
const BACKGROUND_NICENESS = 10
try {
  setPriority(BACKGROUND_NICENESS)
} catch {
  // Not permitted here (some containers): the job still runs, just at normal priority.
}

function send(m: FromEngine): void {
  process.send?.(m)
}

async function handle(m: ToEngine): Promise<FromEngine> {
  switch (m.type) {
    case 'derive': {
      const value = await deriveVariantFile(m.parentPath, m.recipe, m.outPath, {
        feed: m.feed,
        onProgress: (progress) => send({ type: 'progress', id: m.id, progress }),
      })
      return { type: 'derived', id: m.id, value }
    }
    case 'runtimeShapes': {
      const model = decodeModel(m.model, 'model')
      return { type: 'shapes', id: m.id, value: await runtimeShapes(model, m.names, m.inputs, m.dtypes) }
    }
  }
}

// One job at a time: each already saturates the CPU it is given.
let queue: Promise<void> = Promise.resolve()
process.on('message', (raw: unknown) => {
  const m = raw as ToEngine
  queue = queue.then(() =>
    handle(m)
      .then(send)
      .catch((e: unknown) => {
        const err = toStudioError(e)
        send({ type: 'error', id: m.id, error: { code: err.code, message: err.message } })
      }),
  )
})
// Cancel is the parent ending this process (a blocked session.run never yields); and an orphan
// never lingers: when the parent goes, so does the worker.
process.on('disconnect', () => process.exit(0))
process.on('error', () => process.exit(0))
send({
  type: 'ready',
  pid: process.pid,
  ortVersion: ort.env.versions.node ?? ort.env.versions.common,
  executionProviders: bundledExecutionProviders(),
})
