/**
 * A child process that reads hostile inputs through the studio's own readers, one case per JSON
 * line on stdin, and answers one JSON line per case on stdout. Run apart from the campaign so a
 * crash (or a hang) of one case is seen, and its peak memory measured, without taking the
 * campaign down: the pool kills and restarts it.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { DEFAULT_PREPROCESS_SPEC_FOR_TESTS } from './presets.js'
import { batches } from '../../main/data/batches.js'
import { resolveDataset } from '../../main/data/datasets.js'
import { inspectDecoded } from '../../main/model/inspect.js'
import { decodeModel, readModelFile } from '../../main/model/onnx-io.js'
import { judgeError, peakRss, resetPeakRss, type CaseResult } from './outcome.js'

export type WorkerCase =
  | { id: number; kind: 'model'; what: string; path: string; runtime: boolean }
  | { id: number; kind: 'dataset'; what: string; path: string }

/** A model mutant: read, decode, inspect; what inspect reports must be finite and non-negative. */
async function modelCase(c: Extract<WorkerCase, { kind: 'model' }>): Promise<Omit<CaseResult, 'what'>> {
  const bytes = await readModelFile(c.path)
  const model = decodeModel(bytes, 'mutant.onnx')
  const r = await inspectDecoded(model, bytes, { runtime: c.runtime ? 'auto' : 'never' })
  const figures = [r.params, r.macs, r.weightsBytes, r.peakActivationBytes, r.fileBytes, ...r.layers.map((l) => l.macs)]
  const sane = figures.every((v) => Number.isFinite(v) && v >= 0) && (r.warnings ?? []).every((w) => typeof w === 'string' && !w.includes('\n'))
  return sane ? { verdict: 'accepted' } : { verdict: 'bad-figure', detail: `figures ${JSON.stringify(figures.slice(0, 6))}` }
}

/** A hostile dataset: opened, and its first batches preprocessed as an evaluation would. */
async function datasetCase(c: Extract<WorkerCase, { kind: 'dataset' }>): Promise<Omit<CaseResult, 'what'>> {
  const dataset = await resolveDataset(c.path, { split: 'test' })
  let seen = 0
  for await (const b of batches(dataset, DEFAULT_PREPROCESS_SPEC_FOR_TESTS, 32, { limit: 256 })) seen += b.count
  return { verdict: 'accepted', detail: `${seen} samples` }
}

async function run(c: WorkerCase): Promise<CaseResult> {
  resetPeakRss(writeFileSync)
  let out: Omit<CaseResult, 'what'>
  try {
    out = c.kind === 'model' ? await modelCase(c) : await datasetCase(c)
  } catch (e) {
    out = judgeError(e)
  }
  return { what: c.what, ...out, peakRssBytes: peakRss((p) => readFileSync(p, 'utf8')) }
}

const lines = createInterface({ input: process.stdin })
// One case at a time, in order: the pool waits for each answer before it sends the next.
let chain = Promise.resolve()
lines.on('line', (line) => {
  chain = chain.then(async () => {
    const c = JSON.parse(line) as WorkerCase
    const r = await run(c)
    process.stdout.write(`${JSON.stringify({ id: c.id, ...r })}\n`)
  })
})
lines.on('close', () => void chain.then(() => process.exit(0)))
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
