/**
 * Early exit with real control flow on the device (docs/measurement.md § Early exit). The model
 * comes cut into a chain of segments (one ORT session each, the deployment's session options),
 * which verification runs in full, and as the cascade: the same segments joined by the rule's If
 * nodes in one model, which is what gets timed — one run per sample, the tensors a later segment
 * reads never leave ONNX Runtime, and a stopped sample never starts the later segments.
 *
 * runEarlyExit first runs every input through the unsplit model and the whole chain (the chain
 * must reproduce it), then times the configurations — the unsplit model and every threshold —
 * interleaved in rounds over the same inputs, each under the latency rules. Every timed cascade
 * run is checked (outside the clock) against the rule on the chain's outputs.
 * Pure Node + onnxruntime-node: the agent bundles it.
 */
import * as ort from 'onnxruntime-node'
import { CASCADE, cascadeFeed } from '../../common/early-exit.js'
import { makeRng } from '../../common/stats.js'
import type { MeasureSessionOptions } from '../local/measure.js'
import { CascadeCheck } from './cascade-check.js'
import { SessionOpError, batchTensor, toFloat32, type LoadedSession } from './ops.js'
import type { ChainSpec, EarlyExitReply, EarlyExitSpec, InputSource, SessionEvent } from './protocol.js'
import { openSyncSession, type SyncSession } from './sync-session.js'

interface Segment {
  session: SyncSession
  inputs: string[]
  outputs: string[]
}

/** Runs a session, awaiting only when it is not synchronous. */
async function runOnce(
  s: SyncSession,
  feeds: Record<string, ort.Tensor>,
  fetches: readonly string[],
): Promise<Record<string, ort.Tensor>> {
  const r = s.run(feeds, fetches)
  return r instanceof Promise ? await r : r
}

const CASCADE_FETCHES: readonly string[] = [CASCADE.output, CASCADE.exit]

export class ChainSession {
  private constructor(
    readonly spec: ChainSpec,
    readonly segments: Segment[],
    readonly cascade: SyncSession,
    readonly sessionCreateMs: number[],
  ) {}

  static async load(spec: ChainSpec, options: MeasureSessionOptions): Promise<ChainSession> {
    if (spec.segments.length !== spec.exits.length + 1) {
      throw new SessionOpError(
        'BAD_INPUT',
        `A chain of ${spec.exits.length} exits needs ${spec.exits.length + 1} segments, got ${spec.segments.length}`,
      )
    }
    const opened: SyncSession[] = []
    try {
      for (const path of [...spec.segments.map((s) => s.path), spec.cascade]) {
        opened.push(await openSyncSession(path, options))
      }
    } catch (e) {
      await Promise.all(opened.map((s) => s.release()))
      throw e
    }
    const segments = spec.segments.map((s, k) => ({ ...s, session: opened[k] as SyncSession }))
    const cascade = opened.at(-1) as SyncSession
    return new ChainSession(spec, segments, cascade, opened.map((s) => s.createMs))
  }

  get sync(): boolean {
    return this.cascade.sync && this.segments.every((g) => g.session.sync)
  }

  async release(): Promise<void> {
    await Promise.all([...this.segments.map((s) => s.session), this.cascade].map((s) => s.release()))
  }

  /** Runs every segment on `x` (the input named `inputName`); `keep` receives every tensor. */
  async runAll(inputName: string, x: ort.Tensor, keep: Map<string, ort.Tensor>): Promise<void> {
    keep.set(inputName, x)
    for (const [k, seg] of this.segments.entries()) {
      const feeds: Record<string, ort.Tensor> = {}
      for (const name of seg.inputs) {
        const t = keep.get(name)
        if (!t)
          throw new SessionOpError(
            'INTERNAL',
            `Segment ${k} of the chain needs '${name}', which no earlier segment produced`,
          )
        feeds[name] = t
      }
      const out = await runOnce(seg.session, feeds, seg.outputs)
      for (const name of seg.outputs) keep.set(name, out[name] as ort.Tensor)
    }
  }

  /** One sample through the cascade at threshold feed `t`: the exit it stopped at (−1: final). */
  async runCascade(
    inputName: string,
    x: ort.Tensor,
    t: ort.Tensor,
  ): Promise<{ stopped: number; logits: ort.Tensor }> {
    const out = await runOnce(this.cascade, { [inputName]: x, [CASCADE.threshold]: t }, CASCADE_FETCHES)
    const at = out[CASCADE.exit] as ort.Tensor
    return { stopped: Number((at.data as BigInt64Array)[0]), logits: out[CASCADE.output] as ort.Tensor }
  }
}

export interface EarlyExitHooks {
  id: number
  emit(e: SessionEvent): void
  shouldStop(): boolean
  readInputs(
    inputs: InputSource,
  ): AsyncGenerator<{ offset: number; count: number; dims: number[]; data: Float32Array }>
}

const CHUNK_SAMPLES = 100
const CHUNK_NS = 250_000_000n
const PROGRESS_NS = 100_000_000n
/** Runs per configuration per round: long enough to keep caches warm, short enough to interleave. */
export const ROUND_RUNS = 10

/** Runs every input through the unsplit model and the chain; returns batch-1 inputs for timing. */
async function verify(
  l: LoadedSession,
  chain: ChainSession,
  spec: EarlyExitSpec,
  hooks: EarlyExitHooks,
  maxAbsDiff: Record<string, number>,
): Promise<{ inputName: string; samples: ort.Tensor[]; classes: number; check: CascadeCheck }> {
  const outputs = [...chain.spec.exits, chain.spec.final]
  const samples: ort.Tensor[] = []
  let inputName = ''
  let classes = 0
  const total = spec.inputs.batches.reduce((n, b) => n + b.count, 0)
  const check = new CascadeCheck(outputs, spec.rule, total)
  for await (const b of hooks.readInputs(spec.inputs)) {
    const { name, tensor } = batchTensor(l, b.data, b.dims)
    inputName = name
    const full = await l.session.run({ [name]: tensor }, outputs)
    const kept = new Map<string, ort.Tensor>()
    await chain.runAll(name, tensor, kept)
    const unsplit = outputs.map((o) => toFloat32(full[o] as ort.Tensor))
    check.add(samples.length, b.count, unsplit)
    const scores = outputs.map((o, k) => {
      const a = unsplit[k] as Float32Array
      const c = kept.get(o)
      if (!c) throw new SessionOpError('INTERNAL', `The chain produced no output '${o}'`)
      const bOut = toFloat32(c)
      let d = maxAbsDiff[o] ?? 0
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (bOut[i] as number)))
      maxAbsDiff[o] = Number.isNaN(d) ? Infinity : d
      return bOut
    })
    classes = (scores[0]?.length ?? 0) / b.count
    hooks.emit({ event: 'chainScores', id: hooks.id, offset: b.offset, count: b.count, classes, scores })
    const per = b.dims.slice(1)
    const size = per.reduce((x, y) => x * y, 1)
    for (let i = 0; i < b.count; i++) {
      const one = b.data.slice(i * size, (i + 1) * size)
      samples.push(batchTensor(l, one, [1, ...per]).tensor)
    }
    hooks.emit({
      event: 'progress',
      id: hooks.id,
      phase: 'verify',
      done: samples.length,
      total,
      elapsedMs: 0,
    })
  }
  if (samples.length === 0)
    throw new SessionOpError('BAD_INPUT', 'Early exit needs at least one input sample')
  return { inputName, samples, classes, check }
}

interface Config {
  /** null: the unsplit model. */
  t: number | null
  /** The cascade's threshold input for t (cascadeFeed). */
  feed: ort.Tensor | null
  cursor: number
  samplesUs: number[]
  chunk: number[]
  lastChunk: bigint
  ownNs: bigint
  exits: number[]
}

/**
 * Early exit on the device: verification, then the timed configurations (0 = unsplit model,
 * 1 + i = thresholds[i]) interleaved round by round, each until it has ≥ minRuns runs and ≥ minMs
 * of its own measuring time (warm-up likewise), capped by maxMs per configuration.
 */
export async function runEarlyExit(
  l: LoadedSession,
  chain: ChainSession,
  spec: EarlyExitSpec,
  hooks: EarlyExitHooks,
): Promise<EarlyExitReply> {
  const maxAbsDiff: Record<string, number> = {}
  const { inputName, samples, classes, check } = await verify(l, chain, spec, hooks, maxAbsDiff)
  const rng = makeRng(spec.seed)
  const order = samples.map((_, i) => i)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[order[i], order[j]] = [order[j] as number, order[i] as number]
  }
  const configs: Config[] = [null, ...spec.thresholds].map((t) => ({
    t,
    feed: t === null ? null : new ort.Tensor('float32', [cascadeFeed(t, spec.rule, classes)], []),
    cursor: 0,
    samplesUs: [],
    chunk: [],
    lastChunk: 0n,
    ownNs: 0n,
    exits: new Array<number>(chain.spec.exits.length).fill(0),
  }))
  // The unsplit model is timed through the same kind of call as the segments (sync-session.ts).
  const unsplit = await openSyncSession(l.modelPath, l.options)
  const allOutputs = l.session.outputNames
  const runOne = async (c: Config): Promise<{ ns: bigint; stopped: number }> => {
    const i = order[c.cursor++ % order.length] as number
    const x = samples[i] as ort.Tensor
    const a = process.hrtime.bigint()
    if (c.t === null || !c.feed) {
      await runOnce(unsplit, { [inputName]: x }, allOutputs)
      return { ns: process.hrtime.bigint() - a, stopped: -1 }
    }
    const { stopped, logits } = await chain.runCascade(inputName, x, c.feed)
    const ns = process.hrtime.bigint() - a
    check.check(i, c.t, stopped, logits.data instanceof Float32Array ? logits.data : toFloat32(logits), maxAbsDiff)
    return { ns, stopped }
  }
  const lat = spec.latency
  const enough = (c: Config, runs: number, ms: number): boolean =>
    c.cursor >= runs && Number(c.ownNs) / 1e6 >= ms
  try {
    // Warm-up: every configuration until warmupRuns and warmupMs of its own time.
    const warmStart = process.hrtime.bigint()
    while (
      !hooks.shouldStop() &&
      Number(process.hrtime.bigint() - warmStart) / 1e6 < lat.maxMs * configs.length
    ) {
      const pending = configs.filter((c) => !enough(c, lat.warmupRuns, lat.warmupMs))
      if (pending.length === 0) break
      for (const c of pending) for (let r = 0; r < ROUND_RUNS; r++) c.ownNs += (await runOne(c)).ns
    }
    for (const c of configs) {
      c.cursor = 0
      c.ownNs = 0n
    }
    await timedRounds(configs, runOne, spec, hooks)
  } finally {
    await unsplit.release()
  }
  return {
    verified: samples.length,
    maxAbsDiff,
    timedCount: configs.map((c) => c.samplesUs.length),
    timedExits: configs.map((c) => c.exits),
    timedInputs: samples.length,
    syncRuns: unsplit.sync && chain.sync,
    decisionMismatches: check.mismatches,
  }
}

async function timedRounds(
  configs: Config[],
  runOne: (c: Config) => Promise<{ ns: bigint; stopped: number }>,
  spec: EarlyExitSpec,
  hooks: EarlyExitHooks,
): Promise<void> {
  const lat = spec.latency
  const start = process.hrtime.bigint()
  let lastProgress = 0n
  const flush = (c: Config, index: number): void => {
    if (c.chunk.length === 0) return
    hooks.emit({ event: 'samples', id: hooks.id, chunkUs: c.chunk, config: index })
    c.chunk = []
  }
  const done = (c: Config): boolean => c.samplesUs.length >= lat.minRuns && Number(c.ownNs) / 1e6 >= lat.minMs
  const capped = (c: Config): boolean => Number(c.ownNs) / 1e6 >= lat.maxMs
  for (;;) {
    const pending = configs.filter((c) => !done(c) && !capped(c))
    if (pending.length === 0 || hooks.shouldStop()) break
    for (const c of pending) {
      for (let r = 0; r < ROUND_RUNS; r++) {
        const { ns, stopped } = await runOne(c)
        const us = Number(ns) / 1000
        c.ownNs += ns
        c.samplesUs.push(us)
        c.chunk.push(us)
        if (stopped >= 0) c.exits[stopped] = (c.exits[stopped] ?? 0) + 1
      }
      const now = process.hrtime.bigint()
      if (c.chunk.length >= CHUNK_SAMPLES || now - c.lastChunk >= CHUNK_NS) {
        flush(c, configs.indexOf(c))
        c.lastChunk = now
      }
    }
    const now = process.hrtime.bigint()
    if (now - lastProgress >= PROGRESS_NS) {
      lastProgress = now
      const doneRuns = configs.reduce((n, c) => n + Math.min(c.samplesUs.length, lat.minRuns), 0)
      hooks.emit({
        event: 'progress',
        id: hooks.id,
        phase: 'latency',
        done: doneRuns,
        total: lat.minRuns * configs.length,
        elapsedMs: Number(now - start) / 1e6,
      })
    }
  }
  configs.forEach(flush)
}
