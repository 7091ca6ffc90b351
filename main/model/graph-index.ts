/**
 * One index of a graph, built once and handed to every analysis that needs it (MACs, parameters,
 * quantization, pruning) instead of each rebuilding the same maps: who produces each tensor, who
 * reads it, which tensors are constants, and names not used anywhere yet.
 *
 * The index describes the graph as it was when built. Passes never edit the graph they were given
 * (they edit a copy), so an index of a pass's input stays true for the whole pass; a pass that
 * edits its copy builds the copy's index after it is done with the structural edits, or keeps the
 * index's name generator only (fresh names stay fresh when nodes are added).
 */
import type { GraphProto, NodeProto, TensorProto } from './proto.js'
import { attrTensor } from './graph.js'

const NO_NODES: readonly NodeProto[] = []

export class GraphIndex {
  /** The node writing each tensor. */
  readonly producer = new Map<string, NodeProto>()
  /** The nodes reading each tensor, in graph order, once per input slot (as use counts need). */
  readonly consumers = new Map<string, NodeProto[]>()
  /** Initializers by name. */
  readonly initializers = new Map<string, TensorProto>()
  /** Initializers and the values of Constant nodes, by tensor name. */
  readonly constants = new Map<string, TensorProto>()
  /** Graph inputs that are not initializers (IR < 4 lists initializers as inputs too). */
  readonly inputs: string[]
  readonly outputs: Set<string>
  private readonly used = new Set<string>()

  constructor(readonly graph: GraphProto) {
    for (const t of graph.initializer) {
      this.initializers.set(t.name, t)
      this.constants.set(t.name, t)
      this.used.add(t.name)
    }
    for (const n of graph.node) {
      this.used.add(n.name)
      for (const o of n.output) {
        if (!o) continue
        this.producer.set(o, n)
        this.used.add(o)
      }
      const value = n.opType === 'Constant' ? attrTensor(n, 'value') : undefined
      if (value && n.output[0]) this.constants.set(n.output[0], value)
      for (const i of n.input) {
        if (!i) continue
        this.used.add(i)
        const list = this.consumers.get(i)
        if (list) list.push(n)
        else this.consumers.set(i, [n])
      }
    }
    for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) this.used.add(v.name)
    this.inputs = graph.input.map((i) => i.name).filter((n) => !this.initializers.has(n))
    this.outputs = new Set(graph.output.map((o) => o.name))
  }

  consumersOf(name: string | undefined): readonly NodeProto[] {
    return (name ? this.consumers.get(name) : undefined) ?? NO_NODES
  }

  isConstant(name: string | undefined): boolean {
    return name !== undefined && this.constants.has(name)
  }

  /** A tensor/node name not used anywhere in the graph yet (and not handed out before). */
  fresh(base: string): string {
    let name = base
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`
    this.used.add(name)
    return name
  }
}
