/**
 * Colours and markers shared by the HTML report and the studio's charts (docs/ui.md § Style):
 * colour = device, marker shape = family.
 */

/** Okabe–Ito, colour-blind safe, without black (it vanishes in dark mode); blue reads on both themes. */
export const DEVICE_COLORS: readonly string[] = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
]

/** Chart.js point styles, one per model family. */
export const FAMILY_SHAPES = [
  'circle',
  'triangle',
  'rect',
  'rectRot',
  'star',
  'crossRot',
  'rectRounded',
  'cross',
] as const
export type FamilyShape = (typeof FAMILY_SHAPES)[number]

/** Stable assignment: the n-th distinct key gets the n-th choice (cycling). */
export function assignInOrder<T>(
  keys: Iterable<string>,
  choices: readonly T[],
  into = new Map<string, T>(),
): Map<string, T> {
  for (const k of keys) {
    if (!into.has(k)) {
      const c = choices[into.size % choices.length]
      if (c !== undefined) into.set(k, c)
    }
  }
  return into
}
