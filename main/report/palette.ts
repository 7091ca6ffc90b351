/**
 * Okabe–Ito colours (colour-blind safe, UI.md § Style), minus black, which vanishes in dark mode.
 * Blue first: it reads well on both light and dark backgrounds.
 */
export const DEVICE_COLORS: readonly string[] = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
]

/** Chart.js point styles for model families (UI.md: marker shape = family). */
export const FAMILY_SHAPES: readonly string[] = [
  'circle',
  'triangle',
  'rect',
  'rectRot',
  'star',
  'crossRot',
  'rectRounded',
  'cross',
]

/** One entry per distinct key, in order of first appearance, cycling through `choices`. */
export function assignInOrder(keys: readonly string[], choices: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const key of keys) {
    if (!out.has(key)) out.set(key, choices[out.size % choices.length] ?? '')
  }
  return out
}
