/**
 * Accuracy figures exactly as docs/measurement.md § Accuracy defines them. Pure functions over score
 * matrices; no Node, no DOM, so the engine and the renderer compute them the same way.
 */
import { StudioError } from './errors.js'

export interface PerClassAccuracy {
  class: string
  count: number
  top1: number
}

export interface AccuracyMetrics {
  top1: number
  top5: number
  count: number
  perClass: PerClassAccuracy[]
  /** confusion[trueLabel][predictedLabel] = number of samples. */
  confusion: number[][]
}

export interface Agreement {
  /** Fraction of samples where both score rows have the same argmax. */
  top1Agreement: number
  /** Mean over samples of the cosine similarity of the two logits rows. */
  meanCosine: number
}

function rowCount(scores: ArrayLike<number>, classes: number): number {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new StudioError('BAD_INPUT', `The class count must be a positive integer, got ${classes}.`)
  }
  if (scores.length % classes !== 0) {
    throw new StudioError(
      'BAD_INPUT',
      `Scores hold ${scores.length} values, not a whole number of rows of ${classes} classes.`,
    )
  }
  return scores.length / classes
}

/** Index of the largest score of row `row`; the first one on ties (as numpy's argmax). */
export function argmaxRow(scores: ArrayLike<number>, classes: number, row: number): number {
  const base = row * classes
  let best = 0
  let bestValue = scores[base] as number
  for (let k = 1; k < classes; k++) {
    const v = scores[base + k] as number
    if (v > bestValue) {
      bestValue = v
      best = k
    }
  }
  return best
}

/**
 * Rank of class `label` in row `row` (0 = predicted class). Ties rank the lower class index first,
 * so rank 0 always agrees with argmaxRow.
 */
function rankOf(scores: ArrayLike<number>, classes: number, row: number, label: number): number {
  const base = row * classes
  const v = scores[base + label] as number
  let rank = 0
  for (let k = 0; k < classes; k++) {
    const s = scores[base + k] as number
    if (s > v || (s === v && k < label)) rank++
  }
  return rank
}

/**
 * Top-1, top-5, per-class top-1 and the confusion matrix of `scores` (row-major [count × classes])
 * against `labels`. With fewer than 5 classes, top-5 counts the label among all classes (always 1).
 */
export function accuracyMetrics(
  scores: ArrayLike<number>,
  classes: number,
  labels: ArrayLike<number>,
  classNames: string[],
): AccuracyMetrics {
  const count = rowCount(scores, classes)
  if (labels.length !== count) {
    throw new StudioError(
      'DATASET_MISMATCH',
      `${count} score rows but ${labels.length} labels: every sample needs exactly one prediction.`,
    )
  }
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  const k5 = Math.min(5, classes)
  let top1 = 0
  let top5 = 0
  for (let i = 0; i < count; i++) {
    const label = labels[i] as number
    const row = confusion[label]
    if (row === undefined || !Number.isInteger(label)) {
      throw new StudioError(
        'DATASET_MISMATCH',
        `Sample ${i} has label ${label}, outside the model's ${classes} classes (0–${classes - 1}). ` +
          'Evaluate the model on the dataset it was trained for.',
      )
    }
    const predicted = argmaxRow(scores, classes, i)
    row[predicted] = (row[predicted] as number) + 1
    if (predicted === label) top1++
    if (predicted === label || rankOf(scores, classes, i, label) < k5) top5++
  }
  const perClass = confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0)
    return { class: classNames[c] ?? String(c), count: n, top1: n > 0 ? (row[c] as number) / n : 0 }
  })
  return {
    top1: count > 0 ? top1 / count : 0,
    top5: count > 0 ? top5 / count : 0,
    count,
    perClass,
    confusion,
  }
}

function cosineRow(a: ArrayLike<number>, b: ArrayLike<number>, base: number, classes: number): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let k = base; k < base + classes; k++) {
    const x = a[k] as number
    const y = b[k] as number
    dot += x * y
    na += x * x
    nb += y * y
  }
  // Two all-zero rows are identical outputs; one all-zero row shares no direction with the other.
  if (na === 0 && nb === 0) return 1
  if (na === 0 || nb === 0) return 0
  return dot / Math.sqrt(na * nb)
}

/** How closely a variant's outputs follow a reference's on the same samples (e.g. INT8 vs FP32). */
export function agreement(
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
  classes: number,
): Agreement {
  const n = rowCount(scoresA, classes)
  if (scoresB.length !== scoresA.length) {
    throw new StudioError(
      'BAD_INPUT',
      `Cannot compare outputs of different sizes (${scoresA.length} and ${scoresB.length} values): ` +
        'evaluate both variants on the same dataset split and sample limit.',
    )
  }
  let same = 0
  let cos = 0
  for (let i = 0; i < n; i++) {
    if (argmaxRow(scoresA, classes, i) === argmaxRow(scoresB, classes, i)) same++
    cos += cosineRow(scoresA, scoresB, i * classes, classes)
  }
  return { top1Agreement: n > 0 ? same / n : 0, meanCosine: n > 0 ? cos / n : 0 }
}
