/**
 * Auto-detect: a model's preprocessing guessed by trying the presets (and the dataset's own
 * mean/std, and the card's values when there is a card) in every layout and channel order the
 * input allows, on the first 200 samples, and ranking them by top-1. A guess, labelled so: it
 * finds the feeding under which the model works best on data it may never have seen.
 */
import { StudioError } from '../../common/errors.js'
import { luma } from '../../common/preprocess-spec.js'
import { PRESETS, presetOf, type PreprocessSettings } from '../../common/preprocessing.js'
import { DEFAULT_SESSION_OPTIONS, type PreprocessSpec, type Progress, type TensorInfo } from '../../common/types.js'
import type { DetectCandidate, DetectionResult } from '../../common/detect.js'
import { LocalDevice } from '../../devices/local/local-device.js'
import type { Dataset } from '../data/dataset.js'
import { resolveDataset } from '../data/datasets.js'
import { evaluateWithScores } from '../data/evaluate.js'
import { mergeSettings, parseSettings, resolveSpec } from '../data/preprocess-settings.js'
import { effectiveLabels, feedOf, type ModelFeed } from '../model-feed.js'
import type { ModelRow, Store } from '../store/store.js'

export type { DetectCandidate, DetectionResult }

/** Samples each candidate is scored on. */
export const DETECT_SAMPLES = 200
/** Samples the dataset's own per-channel mean/std are measured on. */
const STATS_SAMPLES = 1000

export interface DetectOptions {
  /** Dataset name or path; default the model's. */
  dataset?: string
  samples?: number
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

/** Per-channel mean and std of the dataset's pixels in [0, 1] (on up to 1,000 samples). */
async function datasetStats(dataset: Dataset, channels: 1 | 3): Promise<{ mean: number[]; std: number[] }> {
  const n = Math.min(STATS_SAMPLES, dataset.count)
  const images = await dataset.read(0, n, { size: { height: dataset.height, width: dataset.width, channels } })
  const sum = new Float64Array(channels)
  const sq = new Float64Array(channels)
  let count = 0
  for (const img of images) {
    const px = img.data
    const sc = img.channels
    for (let p = 0; p < px.length / sc; p++) {
      for (let c = 0; c < channels; c++) {
        // Grey models see RGB sources as luma; a grey source feeds all three channels.
        const i = p * sc
        const v = channels === 1 && sc >= 3 ? luma(px[i] as number, px[i + 1] as number, px[i + 2] as number) : (px[i + (sc >= 3 ? c : 0)] as number)
        sum[c] = (sum[c] as number) + v / 255
        sq[c] = (sq[c] as number) + (v / 255) ** 2
      }
    }
    count += px.length / sc
  }
  const round = (x: number): number => Number(x.toFixed(3))
  const mean = Array.from(sum, (s) => round(s / Math.max(1, count)))
  const std = Array.from(sq, (s, c) => round(Math.sqrt(Math.max(1e-12, s / Math.max(1, count) - (sum[c] as number / Math.max(1, count)) ** 2))))
  return { mean, std }
}

interface Trial {
  label: string
  settings: PreprocessSettings
  spec: PreprocessSpec
}

/** Every (values × layout × channel order) the input accepts, each once. */
function trials(input: TensorInfo, base: PreprocessSettings, values: { label: string; v: PreprocessSettings }[]): Trial[] {
  const out = new Map<string, Trial>()
  for (const { label, v } of values) {
    for (const layout of ['NCHW', 'NHWC'] as const) {
      for (const channelOrder of [undefined, 'bgr'] as const) {
        const settings = mergeSettings(mergeSettings(base, v), { layout, ...(channelOrder ? { channelOrder } : {}) })
        let spec: PreprocessSpec
        try {
          spec = resolveSpec(input, settings, 'detected')
        } catch {
          continue // this layout or order does not fit the input (or a 3-value mean on a grey model)
        }
        const key = JSON.stringify([spec.layout, spec.channelOrder, spec.scale, spec.mean, spec.std])
        if (!out.has(key)) out.set(key, { label: `${label} · ${spec.layout}${spec.channels === 3 ? ` ${spec.channelOrder}` : ''}`, settings, spec })
      }
    }
  }
  return [...out.values()]
}

/** What is tried: the value presets, the dataset's own mean/std, the card's values; on the model's facts. */
async function candidates(input: TensorInfo, feed: ModelFeed, dataset: Dataset): Promise<Trial[]> {
  const stored = feed.preprocess?.settings ?? {}
  // Size, resize and output stay as stored: they are facts about the model, not guesses.
  const base: PreprocessSettings = {
    ...(stored.height ? { height: stored.height, width: stored.width } : {}),
    ...(stored.resize ? { resize: stored.resize } : {}),
    ...(stored.resizeMode ? { resizeMode: stored.resizeMode } : {}),
    ...(stored.output ? { output: stored.output } : {}),
  }
  const channels = resolveSpec(input, { ...base, ...(stored.layout ? { layout: stored.layout } : {}) }, 'detected').channels
  const stats = await datasetStats(dataset, channels)
  const values = [
    ...PRESETS.filter((p) => p.values).map((p) => ({ label: p.label, v: p.values as PreprocessSettings })),
    { label: `${dataset.name} mean/std`, v: { scale: 1 / 255, ...stats } },
    ...(feed.card?.preprocessing ? [{ label: 'model card', v: parseSettings(feed.card.preprocessing, 'Model card') }] : []),
  ]
  return trials(input, base, values)
}

/** Tries the candidates on the model's first `samples` samples on this computer; best first. */
export async function detectPreprocessing(store: Store, model: ModelRow, opts: DetectOptions = {}): Promise<DetectionResult> {
  const input = model.inspect?.inputs[0]
  if (!input) throw new StudioError('MODEL_INVALID', `${model.name} has not been inspected; its input is unknown.`)
  const feed = feedOf(store, model)
  const datasetName = opts.dataset ?? feed.dataset
  if (!datasetName) {
    throw new StudioError('BAD_INPUT', `Auto-detect needs labelled samples: give a dataset (--dataset) or set the model's dataset.`)
  }
  const dataset = await resolveDataset(datasetName, { split: feed.split ?? 'test' })
  const list = await candidates(input, feed, dataset)
  const samples = Math.min(opts.samples ?? DETECT_SAMPLES, dataset.count)
  const labels = effectiveLabels(feed)
  const device = new LocalDevice({ name: 'local' })
  const scored: DetectCandidate[] = []
  try {
    // A private runner: detection never disturbs a run queued on the shared local device.
    const dep = await device.prepare({ name: model.name, path: model.path, sha256: model.sha256 }, DEFAULT_SESSION_OPTIONS, opts.signal)
    for (const [i, t] of list.entries()) {
      if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'Auto-detect cancelled.')
      opts.onProgress?.({ phase: 'accuracy', done: i, total: list.length, fraction: i / list.length, message: `trying ${t.label} (${i + 1} of ${list.length})` })
      const { result } = await evaluateWithScores(device, dep, dataset, t.spec, {
        limit: samples,
        ...(labels ? { labels } : {}),
        ...(t.settings.output ? { output: t.settings.output } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      })
      scored.push({ label: t.label, preset: presetOf(t.spec)?.id ?? null, settings: t.settings, spec: t.spec, top1: result.top1 })
    }
  } finally {
    await device.close()
  }
  opts.onProgress?.({ phase: 'done', done: list.length, total: list.length, fraction: 1 })
  scored.sort((a, b) => b.top1 - a.top1)
  const best = scored[0]
  if (!best) throw new StudioError('MODEL_UNSUPPORTED', `No preprocessing preset fits ${model.name}'s input [${input.shape.join(', ')}].`)
  return { guess: true, model: model.name, dataset: dataset.name, split: dataset.split, samples, candidates: scored, best }
}
