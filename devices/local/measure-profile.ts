/**
 * Per-node timings from ORT's built-in profiler, in a separate pass after the timed samples (the
 * profiler adds overhead, so it never shares a session with the latency loop).
 *
 * Like measure.ts, this depends only on onnxruntime-node and Node builtins: the SSH agent reuses it.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type * as ort from 'onnxruntime-node'
import { createSession, type MeasureSessionOptions } from './measure.js'

/** One node's median time per inference (structurally the studio's NodeProfile). */
export interface NodeTime {
  name: string
  op: string
  us: number
}

const SUFFIX = '_kernel_time'

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return 0
  const mid = Math.floor(n / 2)
  return n % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/**
 * Aggregates a Chrome-trace profile (ORT's JSON) into per-node medians, slowest first.
 * `skipRuns` drops each node's first occurrences (warm-up runs inside the profiled session).
 */
export function parseProfile(trace: unknown, skipRuns = 0): NodeTime[] {
  if (!Array.isArray(trace)) throw new Error('ORT profile is not a JSON array of trace events')
  const byNode = new Map<string, { op: string; durs: number[] }>()
  for (const ev of trace as unknown[]) {
    if (typeof ev !== 'object' || ev === null) continue
    const e = ev as { cat?: unknown; name?: unknown; dur?: unknown; args?: { op_name?: unknown } }
    if (e.cat !== 'Node' || typeof e.name !== 'string' || typeof e.dur !== 'number') continue
    if (!e.name.endsWith(SUFFIX)) continue
    const name = e.name.slice(0, -SUFFIX.length)
    const op = typeof e.args?.op_name === 'string' ? e.args.op_name : ''
    const entry = byNode.get(name) ?? { op, durs: [] }
    entry.durs.push(e.dur)
    byNode.set(name, entry)
  }
  const out: NodeTime[] = []
  for (const [name, { op, durs }] of byNode) {
    const kept = durs.length > skipRuns ? durs.slice(skipRuns) : durs
    out.push({ name, op, us: medianOf(kept) })
  }
  return out.sort((a, b) => b.us - a.us || a.name.localeCompare(b.name))
}

export interface ProfileOptions {
  /** Profiled runs after warm-up. */
  runs: number
  warmupRuns: number
  shouldStop?: () => boolean
  onProgress?: (done: number, total: number) => void
}

/**
 * Creates a second, profiling session, runs it, reads `<prefix>_<timestamp>.json`, and deletes it.
 * `feedsFor` builds the inputs for the new session (the same fixed-seed data as the timed loop).
 */
export async function profileNodes(
  modelPath: string,
  opts: MeasureSessionOptions,
  feedsFor: (s: ort.InferenceSession) => Record<string, ort.Tensor>,
  p: ProfileOptions,
): Promise<NodeTime[]> {
  const dir = await mkdtemp(join(tmpdir(), 'edgebench-profile-'))
  try {
    const { session } = await createSession(modelPath, opts, {
      enableProfiling: true,
      profileFilePrefix: join(dir, 'ort'),
    })
    try {
      const feeds = feedsFor(session)
      const total = p.warmupRuns + p.runs
      for (let i = 0; i < total; i++) {
        if (p.shouldStop?.()) break
        await session.run(feeds)
        p.onProgress?.(i + 1, total)
      }
      session.endProfiling()
    } finally {
      await session.release()
    }
    const file = (await readdir(dir)).find((f) => f.startsWith('ort_') && f.endsWith('.json'))
    if (!file) throw new Error(`ORT wrote no profile file in ${dir}`)
    const trace: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'))
    return parseProfile(trace, p.warmupRuns)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
