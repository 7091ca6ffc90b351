/**
 * Models shaped the way other exporters make them (tools/fixtures/make-exporter-fixtures.py): each
 * evaluated through the studio (real SQLite store, real ONNX Runtime on this computer, the full
 * Fashion-MNIST test split) must score exactly what PyTorch scored from the same raw bytes when fed
 * as its `<name>.expect.json` says, and be refused or warned about when fed wrong.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isStudioError } from '../../common/errors.js'
import type { PreprocessingRequest } from '../../common/preprocessing.js'
import { DEFAULT_SESSION_OPTIONS, type EvalResult } from '../../common/types.js'
import { toModelInfo } from '../../main/api/views.js'
import { Studio } from '../../main/studio.js'

const DIR = resolve(import.meta.dirname, '../fixtures/exporters')

interface Expect {
  model: string
  flags: string[]
  correct: number
  count: number
  softmaxOutputs?: string[]
  labels?: string[]
}
const expectOf = (name: string): Expect => JSON.parse(readFileSync(join(DIR, `${name}.expect.json`), 'utf8')) as Expect

let dir = ''
let studio: Studio

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-exporters-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
})
afterAll(async () => {
  await studio.close()
  rmSync(dir, { recursive: true, force: true })
})

async function evaluate(name: string, preprocessing?: PreprocessingRequest): Promise<EvalResult> {
  const m = await studio.importModel(join(DIR, `${name}.onnx`))
  const run = await studio.runAndWait({
    kind: 'eval',
    modelId: m.id,
    deviceName: 'local',
    session: DEFAULT_SESSION_OPTIONS,
    dataset: 'fashion-mnist',
    ...(preprocessing ? { preprocessing } : {}),
  })
  if (run.status !== 'finished') throw new Error(`${name}: run ${run.status}: ${run.error}`)
  return run.result as EvalResult
}

const correct = (r: EvalResult): number => Math.round(r.top1 * r.count)

describe('models from other exporters, fed as they expect', () => {
  it('Keras/tf2onnx NHWC RGB in [-1, 1]: exact with the symmetric preset, a chance warning without', async () => {
    const want = expectOf('keras-nhwc-rgb')
    const right = await evaluate('keras-nhwc-rgb', { preset: 'symmetric' })
    expect(right.preprocessing).toMatchObject({ layout: 'NHWC', channels: 3, source: 'override' })
    expect([correct(right), right.count]).toEqual([want.correct, want.count])
    expect(right.warnings ?? []).toEqual([])
    const wrong = await evaluate('keras-nhwc-rgb')
    expect(wrong.warnings?.[0]).toMatch(/within 2× of chance.*preprocessing or the label order/)
  }, 180_000)

  it('an output that is already softmax: exact, and flagged as probabilities', async () => {
    const want = expectOf('softmax-out')
    const r = await evaluate('softmax-out')
    expect(correct(r)).toBe(want.correct)
    const m = studio.store.listModels().find((x) => x.name === 'softmax-out')
    expect(m && toModelInfo(m, studio.store).softmaxOutputs).toEqual(want.softmaxOutputs)
  }, 120_000)

  it('several outputs: the one shaped [N, classes] is the classifier, another can be named', async () => {
    const want = expectOf('multi-output')
    const r = await evaluate('multi-output')
    expect([correct(r), r.output]).toEqual([want.correct, 'scores'])
    const m = await studio.importModel(join(DIR, 'multi-output.onnx'))
    await expect(studio.checkRunPreprocessing(m.id, { settings: { output: 'nope' } })).rejects.toThrow(/no output 'nope'.*embedding \[N, 16\]/)
  }, 120_000)

  it('a dynamic H×W: refused without a size (nothing stored), exact with it, MACs at that size', async () => {
    const want = expectOf('dynamic-hw')
    const m = await studio.importModel(join(DIR, 'dynamic-hw.onnx'))
    const runsBefore = studio.store.listRuns().length
    const refused = await studio.checkRunPreprocessing(m.id, {}).then(() => null, (e: unknown) => e)
    expect(isStudioError(refused) && refused.code).toBe('BAD_INPUT')
    expect((refused as Error).message).toContain('dynamic image size')
    expect(studio.store.listRuns()).toHaveLength(runsBefore)
    const r = await evaluate('dynamic-hw', { settings: { height: 28, width: 28 } })
    expect(correct(r)).toBe(want.correct)
    const stored = await studio.setPreprocessing(m.id, { settings: { height: 28, width: 28 } })
    expect(stored.inspect?.macs).toBeGreaterThan(0)
    expect((await evaluate('dynamic-hw')).preprocessing.source).toBe('user')
  }, 180_000)

  it('a uint8 input gets raw bytes (its Windows ML metadata read), and refuses mean/std', async () => {
    const want = expectOf('uint8-input')
    const r = await evaluate('uint8-input')
    expect(r.preprocessing).toMatchObject({ dtype: 'uint8', scale: 1, source: 'metadata' })
    expect(correct(r)).toBe(want.correct)
    const m = await studio.importModel(join(DIR, 'uint8-input.onnx'))
    await expect(studio.setPreprocessing(m.id, { settings: { mean: [0.5] } })).rejects.toThrow(/raw uint8 bytes/)
  }, 120_000)

  it('preprocessing and labels from ONNX metadata: outputs matched to the dataset classes by name', async () => {
    const want = expectOf('labels-metadata')
    const r = await evaluate('labels-metadata')
    expect(r.labelMatch?.by).toBe('name')
    expect(r.preprocessing.source).toBe('metadata')
    expect(correct(r)).toBe(want.correct)
    const m = studio.store.listModels().find((x) => x.name === 'labels-metadata')
    expect(m?.labels?.names).toEqual(want.labels)
    // A label file of the wrong length is refused, naming the counts; nothing changes.
    await expect(studio.setPreprocessing(m?.id ?? 0, { labels: ['a', 'b'] })).rejects.toThrow(/2 names but output 'logits' \[N, 10\] gives 10 scores/)
    expect(studio.store.getModel(m?.id ?? 0)?.labels?.names).toEqual(want.labels)
  }, 120_000)
})
