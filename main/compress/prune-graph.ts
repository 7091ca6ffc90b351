/**
 * Channel dependency analysis for structured pruning. Every channel of every feature map is an
 * element of a union-find; an op that makes two channels inseparable (an elementwise op, a
 * residual Add, a Concat slot, a grouped conv's group, a channel shuffle's column) unites them. A
 * resulting class is a set of channels that can be removed everywhere at once. Tensors whose
 * channels cannot be removed safely (graph inputs and outputs, ops the analysis does not model)
 * are blocked with a reason, and every class touching them is left alone. The rules per operator
 * are in prune-rules.ts; the model is simplified first (main/model/simplify.ts), so shape
 * arithmetic an exporter computes at run time reads as constants here.
 */
import { defaultOpset } from '../model/graph.js'
import { GraphIndex } from '../model/graph-index.js'
import { graphOf, type GraphProto, type ModelProto, type NodeProto } from '../model/proto.js'
import { inferShapes, type TensorMeta } from '../model/shapes.js'
import type { ConstStore } from './prune-common.js'
import { visit } from './prune-rules.js'

/** The channels of one tensor: element ids base … base + channels − 1. */
export interface Space {
  tensor: string
  channels: number
  /** Entries of axis 1 per channel: 1 for feature maps, H·W after a Flatten of C×H×W. */
  unit: number
  base: number
}

/** A channel shuffle Reshape([N, p, q, …]) → Transpose(1 ↔ 2) → Reshape([N, p·q, …]). */
export interface Shuffle {
  split: NodeProto
  merge: NodeProto
  /** Groups (the Reshape's axis 1); columns (axis 2) are what pruning removes. */
  p: number
}

export interface ChannelGraph {
  spaces: Map<string, Space>
  /** Tensor → why its channels must stay (first reason found). */
  blocked: Map<string, string>
  /** Convs with group 1: each output channel is an independent filter, the thing pruning removes. */
  sources: NodeProto[]
  /** Grouped and depthwise convs: whole groups go with their input channels. */
  depthwise: NodeProto[]
  batchNorms: NodeProto[]
  /** Grouped convs (1 < group, not depthwise), also listed in `depthwise`; for reports. */
  grouped: NodeProto[]
  shuffles: Shuffle[]
  /** Grouped convs pruned by columns (each group loses the same channels) rather than whole groups. */
  columns: Set<NodeProto>
  opset: number
  find(id: number): number
  /** Static dims (batch 1) of a tensor, when known. */
  dims(name: string | undefined): number[] | undefined
  /** Values of a small constant (shape operands), when known. */
  value(name: string | undefined): number[] | undefined
}

export class Builder {
  readonly spaces = new Map<string, Space>()
  readonly blocked = new Map<string, string>()
  readonly sources: NodeProto[] = []
  readonly depthwise: NodeProto[] = []
  readonly batchNorms: NodeProto[] = []
  readonly grouped: NodeProto[] = []
  readonly shuffles: Shuffle[] = []
  /** Grouped convs pruned by columns (each group loses the same channels) rather than whole groups. */
  readonly columns = new Set<NodeProto>()
  /** Nodes a rule has already accounted for (the Transpose and second Reshape of a shuffle). */
  readonly handled = new Set<NodeProto>()
  private readonly parent: number[] = []

  constructor(
    private readonly shapes: Map<string, TensorMeta>,
    private readonly constants: Set<string>,
    private readonly store: ConstStore,
    readonly opset: number,
    readonly index: GraphIndex,
  ) {}

  find = (id: number): number => {
    let r = id
    while (this.parent[r] !== r) r = this.parent[r] ?? r
    while (this.parent[id] !== r) {
      const next = this.parent[id] ?? r
      this.parent[id] = r
      id = next
    }
    return r
  }

  private union(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }

  /**
   * Dims with symbolic ones as -1 (dynamic H×W is fine; only the channel dim must be known), or
   * undefined when the rank or the channel count is unknown.
   */
  dims(name: string | undefined): number[] | undefined {
    const shape = name ? this.shapes.get(name)?.shape : undefined
    if (!shape || (shape.length >= 2 && typeof shape[1] !== 'number')) return undefined
    return shape.map((d) => (typeof d === 'number' ? d : -1))
  }

  isConst(name: string | undefined): boolean {
    return name !== undefined && this.constants.has(name)
  }

  /** A space for a tensor with a static shape of rank ≥ 2 (else undefined). */
  newSpace(tensor: string, unit = 1, reason?: string): Space | undefined {
    const d = this.dims(tensor)
    if (!tensor || this.spaces.has(tensor) || !d || d.length < 2 || (d[1] ?? 0) % unit !== 0) return this.spaces.get(tensor)
    const space = { tensor, channels: (d[1] ?? 0) / unit, unit, base: this.parent.length }
    for (let c = 0; c < space.channels; c++) this.parent.push(space.base + c)
    this.spaces.set(tensor, space)
    if (reason) this.block(tensor, reason)
    return space
  }

  block(tensor: string, reason: string): void {
    if (this.spaces.has(tensor) && !this.blocked.has(tensor)) this.blocked.set(tensor, reason)
  }

  tie(a: Space, ca: number, b: Space, cb: number): void {
    this.union(a.base + ca, b.base + cb)
  }

  /** Output `out` carries the same channels as `from`, one for one (or is blocked if it cannot). */
  produce(node: NodeProto, out: string | undefined, from: Space): void {
    const d = this.dims(out)
    if (!out || !d || d.length < 2 || d[1] !== from.channels * from.unit) return this.unknown(node, 'changes the channel count')
    const space = this.newSpace(out, from.unit)
    if (!space) return this.unknown(node, 'has an output of unknown shape')
    for (let c = 0; c < from.channels; c++) this.tie(from, c, space, c)
  }

  /** An op the analysis cannot see through: its inputs and outputs keep all their channels. */
  unknown(node: NodeProto, why = 'is not modelled by the channel analysis'): void {
    const label = `${node.opType} '${node.name || node.output[0]}'`
    for (const i of node.input) if (i && !this.isConst(i)) this.block(i, `read by ${label}, which ${why}`)
    for (const o of node.output) if (o) this.newSpace(o, 1, `produced by ${label}, which ${why}`)
  }

  /** Values of a small constant (shape operands, pads), when known at load time. */
  value(name: string | undefined): number[] | undefined {
    return name ? this.shapes.get(name)?.value : undefined
  }

  isInitializer(name: string | undefined): boolean {
    return this.store.has(name)
  }
}

/** Names a node's subgraphs read from the outer scope (If / Loop / Scan bodies). */
function capturedNames(graph: GraphProto, out: Set<string>): void {
  for (const n of graph.node) {
    for (const a of n.attribute) {
      for (const g of [a.g, ...(a.graphs ?? [])]) {
        if (!g) continue
        for (const sn of g.node ?? []) for (const i of sn.input ?? []) if (i) out.add(i)
        capturedNames(g as GraphProto, out)
      }
    }
  }
}

/** Builds the channel dependency graph of a (float, ONNX-domain, simplified) model. */
export function analyzeChannels(model: ModelProto, store: ConstStore): ChannelGraph {
  const graph = graphOf(model)
  const inferred = inferShapes(model)
  const b = new Builder(inferred.tensors, inferred.constants, store, defaultOpset(model) || 13, new GraphIndex(graph))
  for (const i of graph.input) if (!inferred.constants.has(i.name)) b.newSpace(i.name, 1, 'graph input')
  for (const node of inferred.order) if (!b.handled.has(node)) visit(b, node)
  for (const o of graph.output) b.block(o.name, 'graph output (outputs keep their shapes)')
  const captured = new Set<string>()
  capturedNames(graph, captured)
  for (const name of captured) b.block(name, 'read inside a subgraph')
  return {
    spaces: b.spaces,
    blocked: b.blocked,
    sources: b.sources,
    depthwise: b.depthwise,
    batchNorms: b.batchNorms,
    grouped: b.grouped,
    shuffles: b.shuffles,
    columns: b.columns,
    opset: b.opset,
    find: b.find,
    dims: (n) => b.dims(n),
    value: (n) => b.value(n),
  }
}
