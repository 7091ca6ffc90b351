/**
 * Shrinks a derived model's graph section without touching what it computes. PyTorch's exporter
 * names every intermediate tensor after its path (`/features/features.3/conv/conv.0/Conv_output_0`),
 * and a quantized graph repeats each name in its Q/DQ plumbing: on the zoo that was 2–4 % of the
 * FP32 file, as much as the per-channel scales. So:
 * - intermediate tensors get short names; graph inputs and outputs keep theirs, and so do nodes,
 *   so reports, `--exclude` and profiles still name layers as the parent does;
 * - Constant nodes become initializers, identical ones stored once (channel-shuffle shapes repeat);
 * - Conv attributes equal to the operator's defaults are left out (kernel_shape comes from W).
 */
import { graphOf, onnx, type GraphProto, type ModelProto, type TensorProto } from '../model/proto.js'
import { attrInt, attrInts, attrString, attrTensor } from '../model/graph.js'
import { cloneModel } from './graph-edit.js'

export interface Compacted {
  /** The compacted copy (the model passed in is not modified). */
  model: ModelProto
  constants: number
  attributes: number
  names: number
}

/** All three passes on a copy; returns it and what each pass saved, for the variant's notes. */
export function compactGraph(source: ModelProto): Compacted {
  const model = cloneModel(source)
  const constants = constantsToInitializers(graphOf(model))
  const attributes = dropDefaultConvAttributes(graphOf(model))
  return { model, constants, attributes, names: compactTensorNames(model) }
}

function tensorKey(t: TensorProto): string {
  const bytes = onnx.TensorProto.encode({ ...t, name: '' }).finish()
  return Buffer.from(bytes).toString('base64')
}

/** Constant nodes (a `value` tensor) → initializers, one per distinct value. Returns nodes removed. */
function constantsToInitializers(g: GraphProto): number {
  const outputs = new Set(g.output.map((v) => v.name))
  const byKey = new Map<string, string>()
  for (const t of g.initializer) if (!outputs.has(t.name)) byKey.set(tensorKey(t), t.name)
  const alias = new Map<string, string>()
  const removed = new Set<object>()
  for (const n of g.node) {
    const out = n.output[0]
    const value = n.opType === 'Constant' && n.attribute.length === 1 ? attrTensor(n, 'value') : undefined
    if (!out || !value || outputs.has(out) || (n.domain ?? '') !== '') continue
    const t = onnx.TensorProto.create({ ...value, name: out }) as TensorProto
    const key = tensorKey(t)
    const same = byKey.get(key)
    if (same !== undefined) alias.set(out, same)
    else {
      byKey.set(key, out)
      g.initializer.push(t)
    }
    removed.add(n)
  }
  if (removed.size === 0) return 0
  g.node = g.node.filter((n) => !removed.has(n))
  for (const n of g.node) n.input = n.input.map((x) => alias.get(x) ?? x)
  return removed.size
}

const allAre = (xs: number[] | undefined, v: number): boolean => xs !== undefined && xs.every((x) => x === v)

/** Leaves out Conv attributes whose value is the default. Returns attributes removed. */
function dropDefaultConvAttributes(g: GraphProto): number {
  let removed = 0
  for (const n of g.node) {
    if (n.opType !== 'Conv' || (n.domain ?? '') !== '') continue
    const before = n.attribute.length
    const padsDefault =
      attrString(n, 'auto_pad', 'NOTSET') === 'NOTSET' &&
      (attrInts(n, 'pads') === undefined || allAre(attrInts(n, 'pads'), 0))
    n.attribute = n.attribute.filter((a) => {
      switch (a.name) {
        case 'kernel_shape':
          return false
        case 'dilations':
        case 'strides':
          return !allAre(attrInts(n, a.name), 1)
        case 'pads':
          return !padsDefault
        case 'group':
          return attrInt(n, 'group', 1) !== 1
        case 'auto_pad':
          return attrString(n, 'auto_pad', 'NOTSET') !== 'NOTSET'
        default:
          return true
      }
    })
    removed += before - n.attribute.length
  }
  return removed
}

/** Base-36 names in order of first use: 0, 1, … z, 10, … */
function shortName(k: number): string {
  return k.toString(36)
}

/**
 * Renames the intermediate tensors (node outputs and initializers that are not graph inputs or
 * outputs) of the copy being compacted. A graph with subgraphs (If/Loop/Scan bodies refer to outer names) or sparse
 * initializers is left as it is. Returns how many tensors were renamed.
 */
function compactTensorNames(model: ModelProto): number {
  const g = graphOf(model)
  if (g.node.some((n) => n.attribute.some((a) => a.g || (a.graphs?.length ?? 0) > 0))) return 0
  if ((g.sparseInitializer?.length ?? 0) > 0) return 0
  const keep = new Set([...g.input.map((v) => v.name), ...g.output.map((v) => v.name)])
  const renamed = new Map<string, string>()
  let next = 0
  const rename = (name: string): string => {
    if (name === '' || keep.has(name)) return name
    let s = renamed.get(name)
    if (s === undefined) {
      do s = shortName(next++)
      while (keep.has(s))
      renamed.set(name, s)
    }
    return s
  }
  for (const t of g.initializer) t.name = rename(t.name)
  for (const n of g.node) {
    n.input = n.input.map(rename)
    n.output = n.output.map(rename)
  }
  // Shape annotations of renamed tensors would be stale; ORT infers them again on load.
  g.valueInfo = g.valueInfo.filter((v) => keep.has(v.name))
  return renamed.size
}
