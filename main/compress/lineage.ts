/**
 * Variants made elsewhere (pruned and fine-tuned in the user's own training code, distilled, …)
 * keep their lineage: a stored model is recorded as a variant of a parent, with the recipe as the
 * user describes it, so charts and reports show it beside the parent and its in-studio variants.
 */
import { StudioError } from '../../common/errors.js'
import type { InspectResult } from '../../common/types.js'
import type { ModelRow, Store } from '../store/store.js'

/** The stored recipe of an external variant. */
export const EXTERNAL_METHOD = 'external'
export const MAX_RECIPE_TEXT = 2000

/** Output shapes without the batch dim, for comparing a variant with its parent. */
function outputSignature(info: InspectResult): string {
  return JSON.stringify(info.outputs.map((o) => ({ name: o.name, shape: o.shape.slice(1) })))
}

/** Refuses a lineage that makes no sense before anything is stored. */
export function checkLineage(store: Store, child: { id?: number; name: string; sha256: string }, parent: ModelRow, text: string, infos: { child: InspectResult; parent: InspectResult }): void {
  if (text.trim().length === 0) throw new StudioError('BAD_INPUT', 'Describe how the variant was made (--recipe "<text>"), e.g. "pruned 50 % by L1, fine-tuned 3 epochs".')
  if (text.length > MAX_RECIPE_TEXT) throw new StudioError('BAD_INPUT', `The recipe text is ${text.length} characters; keep it under ${MAX_RECIPE_TEXT}.`)
  if (child.sha256 === parent.sha256) throw new StudioError('BAD_INPUT', `${child.name} has the same content as ${parent.name}; it is not a variant of it.`)
  for (let m: ModelRow | null = parent, i = 0; m && i < 64; i++) {
    if (m.id === child.id) throw new StudioError('BAD_INPUT', `${parent.name} is derived from ${child.name}; a model cannot be a variant of its own variant.`)
    m = m.parentId === null ? null : store.getModel(m.parentId)
  }
  const [a, b] = [outputSignature(infos.child), outputSignature(infos.parent)]
  if (a !== b) {
    throw new StudioError(
      'BAD_INPUT',
      `${child.name} is not a variant of ${parent.name}: its outputs ${a} differ from the parent's ${b}. Choose the model it was derived from.`,
    )
  }
}

/**
 * Records `child` (stored) as a variant of `parent`, made as `text` says. How it is fed comes from
 * its own settings (a zoo variant's card) or, where it has none, is inherited from the parent
 * (model-feed.ts), so nothing is copied.
 */
export function linkVariant(store: Store, child: ModelRow, parent: ModelRow, text: string): ModelRow {
  return store.upsertModel({
    name: child.name,
    path: child.path,
    sha256: child.sha256,
    family: parent.family,
    kind: EXTERNAL_METHOD,
    parentId: parent.id,
    recipe: { method: EXTERNAL_METHOD, params: { text: text.trim() } },
  })
}
