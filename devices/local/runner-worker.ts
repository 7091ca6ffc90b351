/**
 * The inference thread of the local runner (see runner.ts): owns the ONNX Runtime session and
 * answers the requests of messages.ts one at a time. It lives in a worker thread so that the
 * runner's main thread can receive the next evaluation batch over IPC while this one infers.
 * The operations themselves live in session-ops.ts, shared with the SSH agent.
 */
import { parentPort } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import { bundledExecutionProviders } from './measure.js'
import type { FromRunner, ToRunner } from './messages.js'
import {
  SessionOpError,
  benchSession,
  errorInfo,
  evalBatch,
  loadSession,
  type LoadedSession,
} from './session-ops.js'

let loaded: LoadedSession | null = null

function send(m: FromRunner): void {
  parentPort?.postMessage(m)
}

function requireLoaded(): LoadedSession {
  if (!loaded)
    throw new SessionOpError('INTERNAL', 'No model is loaded in the local runner; prepare it first')
  return loaded
}

async function handle(m: ToRunner): Promise<void> {
  switch (m.type) {
    case 'load': {
      const previous = loaded
      loaded = null
      const r = await loadSession(previous, m.modelPath, m.session)
      loaded = r.loaded
      send({ type: 'loaded', id: m.id, ...r.info })
      return
    }
    case 'bench': {
      const id = m.id
      const r = await benchSession(requireLoaded(), m.spec, {
        onSamples: (chunkUs) => send({ type: 'samples', id, chunkUs }),
        onProgress: (phase, done, elapsedMs) => send({ type: 'progress', id, phase, done, elapsedMs }),
        onProfileProgress: (done, total) =>
          send({ type: 'progress', id, phase: 'profile', done, total, elapsedMs: 0 }),
      })
      send({ type: 'benchDone', id, ...r })
      return
    }
    case 'eval': {
      const r = await evalBatch(requireLoaded(), m.count, m.data, m.dims, m.output)
      // Scores are small (count × classes); copying them is cheaper than reasoning about who owns ORT's buffer.
      send({ type: 'evalResult', id: m.id, offset: m.offset, count: m.count, ...r })
      return
    }
  }
}

// Requests run strictly one after another: ORT sessions are not meant for overlapping runs, and
// queued eval batches simply wait their turn here.
let queue: Promise<void> = Promise.resolve()
parentPort?.on('message', (raw: unknown) => {
  const m = raw as ToRunner
  queue = queue.then(() =>
    handle(m).catch((e: unknown) =>
      send({ type: 'error', id: m.id, error: errorInfo(e, 'The local runner') }),
    ),
  )
})
send({
  type: 'ready',
  pid: process.pid,
  ortVersion: ort.env.versions.node ?? ort.env.versions.common,
  executionProviders: bundledExecutionProviders(),
})
