/**
 * Pareto fronts for trade-off charts (accuracy vs latency, memory, size, MACs). Pure; no Node, no DOM,
 * so the HTML report and the Explore view draw the same front from the same rule.
 */

/** Reads a figure from a point; `null`/`undefined` mean "not measured". */
export type Figure<T> = (p: T) => number | null | undefined

function isFiniteNumber(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x)
}

/**
 * The non-dominated points: no other point has a lower-or-equal cost AND a higher-or-equal value
 * with at least one strictly better. Sorted by cost ascending (so value ascends too), ready to be
 * drawn as a step line.
 *
 * Ties: among points of equal cost only the highest value survives; of exactly equal points only the
 * first in input order is kept (one marker per figure pair, not a stack). Points whose cost or value
 * is missing or not finite are ignored: a run without a number cannot be on the front.
 */
export function paretoFront<T>(points: readonly T[], cost: Figure<T>, value: Figure<T>): T[] {
  const measured: { p: T; c: number; v: number }[] = []
  for (const p of points) {
    const c = cost(p)
    const v = value(p)
    if (isFiniteNumber(c) && isFiniteNumber(v)) measured.push({ p, c, v })
  }
  // Array.prototype.sort is stable, so equal points keep input order and the first one wins.
  measured.sort((a, b) => a.c - b.c || b.v - a.v)
  const front: T[] = []
  let best = Number.NEGATIVE_INFINITY
  for (const m of measured) {
    // Strictly greater: an equal value at a higher-or-equal cost is dominated (or a duplicate).
    if (m.v > best) {
      front.push(m.p)
      best = m.v
    }
  }
  return front
}

/**
 * One front per group (per device: a front mixing devices would hide that a slow board's best
 * variant is still the right pick for that board). Groups appear in order of first appearance;
 * a group whose points all lack figures maps to an empty front.
 */
export function paretoByGroup<T>(
  points: readonly T[],
  group: (p: T) => string,
  cost: Figure<T>,
  value: Figure<T>,
): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const p of points) {
    const key = group(p)
    const members = groups.get(key)
    if (members) members.push(p)
    else groups.set(key, [p])
  }
  const fronts = new Map<string, T[]>()
  for (const [key, members] of groups) fronts.set(key, paretoFront(members, cost, value))
  return fronts
}
