/**
 * The inference thread of the local runner (see runner.ts): the session server (devices/session)
 * on Node's IPC. It lives in a worker thread so that the runner's main thread can receive the next
 * evaluation batch over IPC while this one infers.
 */
import { parentPort } from 'node:worker_threads'
import type { SessionEvent, SessionReply, SessionRequest } from '../session/protocol.js'
import { SessionServer } from '../session/server.js'

const post = (m: SessionEvent | SessionReply): void => parentPort?.postMessage(m)
const server = new SessionServer({ emit: post, who: 'The local runner' })

// Queued eval batches simply wait their turn in the server's queue. A cancel kills the process.
parentPort?.on('message', (raw: unknown) => {
  void server.serve(raw as SessionRequest, post)
})
