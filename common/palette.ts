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

/** FNV-1a, 32 bit: a stable small hash of a name (no crypto needed, same in Node and browser). */
function hashName(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/**
 * A family's marker: chosen from its name (so 'resnet' has the same marker in every report, view
 * and session), moving to the next free marker on a collision, and never reassigned once in `taken`
 * (so filtering or new points never repaint a family). Families beyond the markers share them.
 */
export function familyShape(family: string, taken: Map<string, FamilyShape>): FamilyShape {
  const known = taken.get(family)
  if (known) return known
  const used = new Set(taken.values())
  const start = hashName(family) % FAMILY_SHAPES.length
  let shape: FamilyShape = FAMILY_SHAPES[start] ?? 'circle'
  for (let i = 0; i < FAMILY_SHAPES.length; i++) {
    const s = FAMILY_SHAPES[(start + i) % FAMILY_SHAPES.length]
    if (s && !used.has(s)) {
      shape = s
      break
    }
  }
  taken.set(family, shape)
  return shape
}

/** Markers for a set of families, assigned in name order (so the same set always maps alike). */
export function familyShapes(families: Iterable<string>, taken = new Map<string, FamilyShape>()): Map<string, FamilyShape> {
  for (const f of [...new Set(families)].sort()) familyShape(f, taken)
  return taken
}
