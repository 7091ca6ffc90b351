/**
 * The warning an accuracy near chance gets: a model that scores within 2× of guessing was almost
 * always fed the wrong way (scale, mean/std, layout, channel order) or scored against the wrong
 * label order, so the run says so instead of showing a plausible-looking number.
 */
import { CHANCE_FACTOR, SOURCE_LABELS, describePreprocessing } from '../../common/preprocessing.js'
import type { EvalResult } from '../../common/types.js'

/** Below this many samples a near-chance figure is noise rather than a symptom. */
const MIN_SAMPLES = 20

export function chanceWarning(r: Pick<EvalResult, 'top1' | 'count' | 'preprocessing' | 'labelMatch'>, classes: number): string | null {
  if (classes < 2 || r.count < MIN_SAMPLES) return null
  const chance = 1 / classes
  if (r.top1 > CHANCE_FACTOR * chance) return null
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`
  const source = r.preprocessing.source ? ` (${SOURCE_LABELS[r.preprocessing.source]})` : ''
  const labels = r.labelMatch?.by === 'name' ? 'matched by name from its label file' : 'taken in output order (no label file)'
  return (
    `Top-1 ${pct(r.top1)} is within ${CHANCE_FACTOR}× of chance (${pct(chance)} for ${classes} classes): ` +
    `the preprocessing or the label order is likely wrong. Preprocessing used: ${describePreprocessing(r.preprocessing)}${source}; ` +
    `labels ${labels}. Set them with 'edgebench model set' or in the Models view, or try 'eval --detect-preprocessing' (Auto-detect).`
  )
}
