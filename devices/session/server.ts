/**
 * The one session server: answers the requests of protocol.ts with a loaded ONNX Runtime session.
 * The local runner's inference thread (devices/local/runner-worker.ts, Node IPC) and the SSH agent
 * (devices/agent/agent.ts, JSON Lines on stdio) are thin transports around it, so a model is
 * loaded, timed, evaluated and split the same way on this computer and on a board.
 *
 * Requests run strictly one after another: ORT sessions are not meant for overlapping runs.
 * Depends only on onnxruntime-node, Node builtins and pure code: the agent bundles it.
 */
import { createHash } from 'node:crypto'
import { closeSync, createReadStream, openSync, readSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { bundledExecutionProviders } from '../local/measure.js'
import { ChainSession, runEarlyExit } from './chain.js'
import { SessionOpError, benchSession, errorInfo, evalBatch, loadSession, type LoadedSession } from './ops.js'
import {
  SESSION_PROTOCOL_VERSION,
  type EvalBatchRef,
  type InputSource,
  type ReplyOf,
  type SessionEvent,
  type SessionOp,
  type SessionReply,
  type SessionRequest,
} from './protocol.js'

export interface ServerHooks {
  /** Sends an event to the studio (before the reply of the request it belongs to). */
  emit(e: SessionEvent): void
  /** Polled between runs of long loops; true ends them early (the studio went away). */
  shouldStop?(): boolean
  /** Names this process in error messages ("The agent", "The local runner"). */
  who: string
}

async function sha256Of(path: string): Promise<string | null> {
  const hash = createHash('sha256')
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
  return hash.digest('hex')
}

function checkBatches(batches: EvalBatchRef[]): void {
  for (const b of batches) {
    if (
      !Number.isInteger(b.count) ||
      b.count < 1 ||
      b.dims[0] !== b.count ||
      b.dims.some((d) => !Number.isInteger(d) || d < 1)
    ) {
      throw new SessionOpError(
        'BAD_INPUT',
        `Invalid evaluation batch at ${b.offset}: count ${b.count}, dims [${b.dims.join(', ')}]`,
      )
    }
  }
}

/** The batches of an input source, read one after another (a file is never held whole). */
export async function* readInputs(
  inputs: InputSource,
  shouldStop: () => boolean,
): AsyncGenerator<{ offset: number; count: number; dims: number[]; data: Float32Array }> {
  if (inputs.kind === 'inline') {
    yield inputs
    return
  }
  checkBatches(inputs.batches)
  const fd = openSync(inputs.path, 'r')
  let position = 0
  try {
    for (const b of inputs.batches) {
      if (shouldStop()) return
      const data = new Float32Array(b.dims.reduce((x, y) => x * y, 1))
      const bytes = new Uint8Array(data.buffer)
      const got = readSync(fd, bytes, 0, bytes.length, position)
      if (got !== bytes.length) {
        throw new SessionOpError(
          'DATASET_MISMATCH',
          `The evaluation file ${inputs.path} ends at byte ${position + got}; batch at ${b.offset} needs ${bytes.length} bytes more`,
        )
      }
      position += bytes.length
      yield { ...b, data }
    }
  } finally {
    closeSync(fd)
  }
}

type Reply<O extends SessionOp> = Promise<ReplyOf[O]>

export class SessionServer {
  private loaded: LoadedSession | null = null
  private chain: ChainSession | null = null
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly hooks: ServerHooks) {}

  private readonly stop = (): boolean => this.hooks.shouldStop?.() ?? false

  /**
   * Queues one request; `send` gets its reply (an error reply for anything thrown). Resolves when
   * the reply has been sent.
   */
  serve(req: SessionRequest, send: (reply: SessionReply) => void): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        const value = await this.handle(req)
        send({ id: req.id, ok: true, ...value })
      } catch (e) {
        send({ id: req.id, ok: false, error: errorInfo(e, this.hooks.who) })
      }
    }
    this.queue = this.queue.then(run)
    return this.queue
  }

  private requireLoaded(): LoadedSession {
    if (!this.loaded) {
      throw new SessionOpError(
        'INTERNAL',
        `No model is loaded in ${this.hooks.who.toLowerCase()}; load one first`,
      )
    }
    return this.loaded
  }

  private handle(m: SessionRequest): Promise<ReplyOf[SessionOp]> {
    switch (m.op) {
      case 'hello':
        return this.hello()
      case 'load':
        return this.load(m.modelPath, m.session)
      case 'bench':
        return this.bench(m.id, m.spec)
      case 'eval':
        return this.evaluate(m.id, m.inputs, m.output)
      case 'hash':
        return this.hash(m.paths)
      case 'loadChain':
        return this.loadChain(m.chain)
      case 'earlyExit':
        return this.earlyExit(m.id, m.spec)
      case 'unload':
        return this.unload()
      case 'bye':
        return Promise.resolve({})
    }
  }

  private hello(): Reply<'hello'> {
    return Promise.resolve({
      protocol: SESSION_PROTOCOL_VERSION,
      pid: process.pid,
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
      ortVersion: ort.env.versions.node ?? ort.env.versions.common,
      executionProviders: bundledExecutionProviders(),
    })
  }

  private async load(modelPath: string, options: LoadedSession['options']): Reply<'load'> {
    await this.releaseChain()
    const previous = this.loaded
    this.loaded = null
    const r = await loadSession(previous, modelPath, options)
    this.loaded = r.loaded
    return r.info
  }

  private bench(id: number, spec: Parameters<typeof benchSession>[1]): Reply<'bench'> {
    const emit = this.hooks.emit
    return benchSession(this.requireLoaded(), spec, {
      onSamples: (chunkUs) => emit({ event: 'samples', id, chunkUs }),
      onProgress: (phase, done, elapsedMs) => emit({ event: 'progress', id, phase, done, elapsedMs }),
      onProfileProgress: (done, total) =>
        emit({ event: 'progress', id, phase: 'profile', done, total, elapsedMs: 0 }),
      shouldStop: this.stop,
    })
  }

  /** Scores of every batch as a `result` event; the reply counts the samples. */
  private async evaluate(id: number, inputs: InputSource, output?: string): Reply<'eval'> {
    const l = this.requireLoaded()
    let count = 0
    for await (const b of readInputs(inputs, this.stop)) {
      const r = await evalBatch(l, b.count, b.data, b.dims, output)
      this.hooks.emit({ event: 'result', id, offset: b.offset, count: b.count, ...r })
      count += b.count
    }
    return { count }
  }

  private async hash(paths: string[]): Reply<'hash'> {
    return { sha256: await Promise.all(paths.map(sha256Of)) }
  }

  private async loadChain(chain: Parameters<typeof ChainSession.load>[0]): Reply<'loadChain'> {
    const l = this.requireLoaded()
    await this.releaseChain()
    this.chain = await ChainSession.load(chain, l.options)
    return { sessionCreateMs: this.chain.sessionCreateMs }
  }

  private earlyExit(id: number, spec: Parameters<typeof runEarlyExit>[2]): Reply<'earlyExit'> {
    if (!this.chain)
      throw new SessionOpError('INTERNAL', 'No early-exit chain is loaded; send loadChain first')
    return runEarlyExit(this.requireLoaded(), this.chain, spec, {
      emit: this.hooks.emit,
      id,
      shouldStop: this.stop,
      readInputs: (inputs) => readInputs(inputs, this.stop),
    })
  }

  private async unload(): Reply<'unload'> {
    await this.releaseChain()
    if (this.loaded) await this.loaded.session.release()
    this.loaded = null
    return {}
  }

  private async releaseChain(): Promise<void> {
    const c = this.chain
    this.chain = null
    await c?.release()
  }
}
