/**
 * Structured channel pruning: removes whole output channels of Conv layers (and everything that
 * indexes them) so the model really gets smaller and faster. See prune-graph.ts for the
 * dependency analysis that decides which channels can go together, prune-plan.ts for importance.
 */
import { StudioError } from '../../common/errors.js'
import { attrInt } from '../model/graph.js'
import { graphOf, type ModelProto } from '../model/proto.js'
import { inferShapes } from '../model/shapes.js'
import { tensorDims } from '../model/tensor.js'
import { validateModel } from '../model/validate.js'
import { simplifyGraph, type SimplifyReport } from '../model/simplify.js'
import { CRITERIA } from '../../common/compress.js'
import { assertPrunable, assertFraction, ConstStore, type PruneReport } from './prune-common.js'
import { analyzeChannels } from './prune-graph.js'
import { planPruning, type Criterion, type PrunePlan } from './prune-plan.js'
import { applyPlan } from './prune-rewrite.js'

export interface StructuredOptions {
  /** Fraction of each prunable group's channels to remove, in (0, 1). */
  ratio: number
  /** Channel importance: 'l1' (default) filter L1 norm, 'bn-scale' |γ|, 'bn-activation' E[relu(BN(x))]; 'activation' needs data (prune-derive.ts). */
  criterion?: Criterion
}

/** Checks the criterion against the model; the ratio or target is checked by the caller. */
export function checkCriterion(model: ModelProto, criterion: Criterion, hasData: boolean): void {
  if (!(CRITERIA as readonly string[]).includes(criterion)) {
    throw new StudioError('BAD_INPUT', `Unknown pruning criterion '${String(criterion)}'; use one of ${CRITERIA.join(', ')}.`)
  }
  assertPrunable(model)
  if (criterion.startsWith('bn') && !graphOf(model).node.some((n) => n.opType === 'BatchNormalization')) {
    throw new StudioError(
      'BAD_INPUT',
      `The ${criterion} criterion needs BatchNormalization layers, but this model has none (exporters usually fold them into the convolutions). ` +
        'Use --criterion activation (mean |activation| on calibration data) or --criterion l1.',
    )
  }
  if (criterion === 'activation' && !hasData) {
    throw new StudioError('BAD_INPUT', 'The activation criterion measures activations on calibration data: pass --calibration <dataset or folder>, or use --criterion l1.')
  }
}

function checkOptions(model: ModelProto, opts: StructuredOptions): Criterion {
  assertFraction(opts.ratio, 'pruning ratio')
  const criterion = opts.criterion ?? 'l1'
  checkCriterion(model, criterion, false)
  return criterion
}

/** Where the plan would cut, without cutting: for reports, previews and tests. */
export function planStructured(model: ModelProto, opts: StructuredOptions): PrunePlan {
  const criterion = checkOptions(model, opts)
  const copy = simplifyGraph(model).model
  const store = new ConstStore(graphOf(copy))
  return planPruning(analyzeChannels(copy, store), store, opts.ratio, criterion)
}

/**
 * Cross-checks the result: a pruned model must keep its output shapes, and every conv's filters
 * must match the channels it reads. A failure here is a bug in the pruner, never the user's.
 */
export function checkResult(parent: ModelProto, child: ModelProto): void {
  validateModel(child)
  const before = inferShapes(parent).tensors
  const after = inferShapes(child)
  for (const o of graphOf(child).output) {
    const a = JSON.stringify(before.get(o.name)?.shape ?? null)
    const b = JSON.stringify(after.tensors.get(o.name)?.shape ?? null)
    if (a !== b) throw new StudioError('INTERNAL', `Pruning changed the shape of output '${o.name}' from ${a} to ${b}; please report this model.`)
  }
  const inits = new Map(graphOf(child).initializer.map((t) => [t.name, t]))
  for (const n of after.order) {
    if (n.opType !== 'Conv') continue
    const w = inits.get(n.input[1] ?? '')
    const x = after.tensors.get(n.input[0] ?? '')?.shape
    if (!w || !x || typeof x[1] !== 'number') continue
    if ((tensorDims(w)[1] ?? 0) * attrInt(n, 'group', 1) !== x[1]) {
      throw new StudioError('INTERNAL', `Pruning left conv '${n.name}' with filters that do not match its ${x[1]} input channels; please report this model.`)
    }
  }
}

/** Channel pruning of a float model without data (no recovery); returns a new model (the input is not modified). */
export function pruneStructured(model: ModelProto, opts: StructuredOptions): { model: ModelProto; report: PruneReport } {
  const criterion = checkOptions(model, opts)
  const { model: out, report: simplified } = simplifyGraph(model)
  const store = new ConstStore(graphOf(out))
  const cg = analyzeChannels(out, store)
  const plan = planPruning(cg, store, opts.ratio, criterion)
  applyPlan(out, cg, store, plan.kept)
  checkResult(model, out)
  const report = structuredReport(plan, criterion, opts.ratio, simplified)
  report.notes.push(NO_RECOVERY)
  return { model: out, report }
}

/** What the report says when nothing compensated the removed channels. */
export const NO_RECOVERY =
  'Removing channels changes what the model computes, and nothing was refitted: measure its accuracy, and recover (--recover ls) or fine-tune it if the drop matters.'

const IMPORTANCE: Record<Criterion, string> = {
  l1: 'Importance: L1 norm of each filter, summed over the layers that write the same channel.',
  activation: 'Importance: mean |activation| of each channel on the calibration data, summed over the tensors layers read it from.',
  'bn-scale': 'Importance: |γ| of the BatchNormalization that scales each channel (network slimming).',
  'bn-activation': 'Importance: E[relu(y)] of each channel with y ~ N(β, γ²) from its BatchNormalization.',
}

/** The report of a structured pruning: groups pruned and left alone, and notes on what was done. */
export function structuredReport(plan: PrunePlan, criterion: Criterion, ratio: number, simplified: SimplifyReport, onlyChanged = false): PruneReport {
  // Under a MACs target, groups the allocation left whole are not "pruned".
  const pruned = onlyChanged ? plan.pruned.filter((p) => p.after < p.before) : plan.pruned
  const layers = pruned.map((p) => ({ name: p.group.convs.join(' + '), before: p.before, after: p.after }))
  const skipped = plan.skipped.map((s) => ({ name: s.group.convs.join(' + '), reason: s.reason }))
  const notes = [
    `${layers.length} channel group(s) pruned, ${skipped.length} left alone. A group is one conv layer's filters, ` +
      'or several layers whose channels are tied by a residual Add, a depthwise or grouped conv, a shuffle or an elementwise op; it is pruned as one.',
    IMPORTANCE[criterion],
  ]
  if (simplified.folded + simplified.reshapes > 0) {
    notes.push(
      `Simplified first: ${simplified.folded} computed shapes and constants folded, ${simplified.reshapes} Reshape targets made constant, ${simplified.removed} nodes no longer needed removed.`,
    )
  }
  if (!layers.some((l) => l.after < l.before)) {
    notes.push(
      layers.length === 0
        ? 'No channel could be removed: every conv layer is tied to something the analysis cannot prove safe (see skipped).'
        : 'No channel was removed: at this ratio every group rounds to zero channels; use a larger ratio.',
    )
  }
  return { method: 'structured', ratio, criterion, layers, skipped, notes }
}
