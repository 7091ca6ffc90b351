/**
 * The EdgeBench agent: the program the studio uploads to an SSH board and drives over the
 * channel's stdio (docs/protocols.md §2). It loads ONNX Runtime from the files uploaded beside it and
 * measures with session-ops.ts / measure.ts — the very code of the local runner — so a latency on
 * the board follows docs/measurement.md exactly as on this computer.
 *
 * Requests run one at a time. The agent exits as soon as its stdin closes (the studio closed the
 * channel, cancelled, or the connection dropped), even in the middle of a benchmark.
 */
import { createHash } from 'node:crypto'
import { createReadStream, openSync, readSync, closeSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { bundledExecutionProviders } from '../local/measure.js'
import {
  SessionOpError,
  benchSession,
  errorInfo,
  evalBatch,
  loadSession,
  type LoadedSession,
} from '../local/session-ops.js'
import {
  AGENT_PROTOCOL_VERSION,
  encodeFloat32,
  splitLines,
  type AgentEvent,
  type AgentRequest,
  type EvalBatchRef,
} from './protocol.js'

let loaded: LoadedSession | null = null
let stdinClosed = false

function write(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`)
}

function emit(e: AgentEvent): void {
  write(e)
}

function requireLoaded(): LoadedSession {
  if (!loaded) throw new SessionOpError('INTERNAL', 'No model is loaded in the agent; send load first')
  return loaded
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

/** Reads the batches one after another from the uploaded file and streams their scores back. */
async function evaluateFile(id: number, path: string, batches: EvalBatchRef[], output?: string): Promise<{ count: number }> {
  const l = requireLoaded()
  checkBatches(batches)
  const fd = openSync(path, 'r')
  let position = 0
  let count = 0
  try {
    for (const b of batches) {
      if (stdinClosed) break
      const values = b.dims.reduce((x, y) => x * y, 1)
      const data = new Float32Array(values)
      const bytes = new Uint8Array(data.buffer)
      const got = readSync(fd, bytes, 0, bytes.length, position)
      if (got !== bytes.length) {
        throw new SessionOpError(
          'DATASET_MISMATCH',
          `The evaluation file ${path} ends at byte ${position + got}; batch at ${b.offset} needs ${bytes.length} bytes more`,
        )
      }
      position += bytes.length
      const r = await evalBatch(l, b.count, data, b.dims, output)
      emit({
        event: 'result',
        id,
        offset: b.offset,
        count: b.count,
        classes: r.classes,
        scores: encodeFloat32(r.scores),
        inferUs: r.inferUs,
      })
      count += b.count
    }
  } finally {
    closeSync(fd)
  }
  return { count }
}

async function handle(m: AgentRequest): Promise<Record<string, unknown>> {
  switch (m.op) {
    case 'hello':
      return {
        protocol: AGENT_PROTOCOL_VERSION,
        pid: process.pid,
        node: process.versions.node,
        platform: process.platform,
        arch: process.arch,
        ortVersion: ort.env.versions.node ?? ort.env.versions.common,
        executionProviders: bundledExecutionProviders(),
      }
    case 'load': {
      const previous = loaded
      loaded = null
      const r = await loadSession(previous, m.modelPath, m.session)
      loaded = r.loaded
      return { ...r.info }
    }
    case 'bench': {
      const id = m.id
      const r = await benchSession(requireLoaded(), m.spec, {
        onSamples: (chunkUs) => emit({ event: 'samples', id, chunkUs }),
        onProgress: (phase, done, elapsedMs) => emit({ event: 'progress', id, phase, done, elapsedMs }),
        onProfileProgress: (done, total) =>
          emit({ event: 'progress', id, phase: 'profile', done, total, elapsedMs: 0 }),
        shouldStop: () => stdinClosed,
      })
      return { ...r }
    }
    case 'eval':
      return evaluateFile(m.id, m.path, m.batches, m.output)
    case 'hash':
      return { sha256: await Promise.all(m.paths.map(sha256Of)) }
    case 'unload':
      if (loaded) await loaded.session.release()
      loaded = null
      return {}
    case 'bye':
      return {}
  }
}

function isRequest(v: unknown): v is AgentRequest {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { id?: unknown }).id === 'number' &&
    typeof (v as { op?: unknown }).op === 'string'
  )
}

let queue: Promise<void> = Promise.resolve()

function onLine(line: string): void {
  let req: unknown
  try {
    req = JSON.parse(line)
  } catch {
    write({
      id: -1,
      ok: false,
      error: { code: 'BAD_INPUT', message: 'The agent received a line that is not JSON' },
    })
    return
  }
  if (!isRequest(req)) {
    write({
      id: -1,
      ok: false,
      error: { code: 'BAD_INPUT', message: 'The agent received a request without id or op' },
    })
    return
  }
  queue = queue.then(async () => {
    try {
      const value = await handle(req)
      write({ id: req.id, ok: true, ...value })
      if (req.op === 'bye') process.exit(0)
    } catch (e) {
      write({ id: req.id, ok: false, error: errorInfo(e, 'The agent') })
    }
  })
}

let buffer = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (d: string) => {
  buffer = splitLines(buffer + d, onLine)
})
// The studio went away: never linger on the board.
process.stdin.on('end', () => {
  stdinClosed = true
  process.exit(0)
})
process.stdin.on('error', () => process.exit(0))
process.stdout.on('error', () => process.exit(0))
