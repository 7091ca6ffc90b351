/**
 * Hostile variants of real models, reproducible from a seed: truncations and byte flips (what a
 * broken download does), and structural edits a careless exporter or a hostile user makes —
 * impossible strides, pads and dims, unknown ops, dangling inputs, cycles, mismatched weights.
 */
import { decodeModel, encodeModel } from '../../main/model/onnx-io.js'
import { graphOf, type ModelProto } from '../../main/model/proto.js'

export interface Mutant {
  what: string
  bytes: Uint8Array
}

type Rng = () => number
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T
const int = (r: Rng, n: number): number => Math.floor(r() * n)

const BAD_INTS = [0, -1, -7, -28, 1e9, 2 ** 31, 2 ** 40, 3]
const WINDOW_ATTRS = ['strides', 'pads', 'dilations', 'kernel_shape', 'group', 'axis', 'transA', 'transB']

/** One structural edit of a decoded model (mutates it); returns what it did. */
function edit(m: ModelProto, r: Rng): string {
  const g = graphOf(m)
  const node = g.node.length > 0 ? pick(r, g.node) : undefined
  switch (int(r, 10)) {
    case 0: {
      const attr = node?.attribute.find((a) => WINDOW_ATTRS.includes(a.name)) ?? node?.attribute[0]
      if (!attr) return 'no attribute to edit'
      const v = pick(r, BAD_INTS)
      if (attr.ints.length > 0) attr.ints = attr.ints.map(() => v)
      else attr.i = v
      return `${node?.opType}.${attr.name} = ${v}`
    }
    case 1: {
      const input = g.input[0]
      const dims = input?.type?.tensorType?.shape?.dim ?? []
      const d = dims.length > 0 ? pick(r, dims) : undefined
      if (!d) return 'no input dim'
      const v = pick(r, [...BAD_INTS, 4096])
      d.dimValue = v
      d.dimParam = ''
      return `input dim = ${v}`
    }
    case 2:
      if (!node) return 'no node'
      node.opType = pick(r, ['Frobnicate', '', 'Conv', 'Gemm', 'Loop', 'Scan', 'If'])
      if (r() < 0.5) node.domain = pick(r, ['evil.ops', 'com.microsoft', 'com.microsoft.nchwc', 'ai.onnx.ml'])
      return `op → ${node.domain}.${node.opType}`
    case 3:
      if (!node) return 'no node'
      g.node.splice(g.node.indexOf(node), 1)
      return `node ${node.name} deleted`
    case 4: {
      const t = g.initializer.length > 0 ? pick(r, g.initializer) : undefined
      if (!t || t.dims.length === 0) return 'no initializer'
      const k = int(r, t.dims.length)
      t.dims[k] = pick(r, BAD_INTS)
      return `initializer ${t.name} dim ${k} = ${String(t.dims[k])}`
    }
    case 5:
      if (!node || node.input.length === 0 || node.output.length === 0) return 'no node'
      node.input[0] = node.output[0] as string
      return `node ${node.name} reads its own output (a cycle)`
    case 6: {
      const other = pick(r, g.node)
      if (!node || node === other || !other.output[0]) return 'no pair'
      node.output[0] = other.output[0]
      return `node ${node.name} writes ${other.output[0]} too`
    }
    case 7: {
      const t = g.initializer.length > 0 ? pick(r, g.initializer) : undefined
      if (!t) return 'no initializer'
      t.dataType = pick(r, [0, 8, 16, 13, 99])
      return `initializer ${t.name} dtype ${t.dataType}`
    }
    case 8:
      if (!node) return 'no node'
      node.input.push(...Array.from({ length: 1 + int(r, 5) }, () => pick(r, ['', 'nope', g.input[0]?.name ?? 'x'])))
      return `node ${node.name} gets extra inputs`
    default: {
      const attr = node?.attribute[0]
      if (!attr) return 'no attribute'
      attr.type = pick(r, [1, 2, 3, 4, 6, 7, 0, 99]) as typeof attr.type
      return `${node?.opType}.${attr.name} retyped ${attr.type}`
    }
  }
}

/** The i-th mutant of `source` (named for messages). */
export function mutant(source: Uint8Array, name: string, r: Rng, i: number): Mutant {
  const kind = i % 4
  if (kind === 0) {
    const cut = int(r, source.length)
    return { what: `${name} #${i}: truncated at ${cut}`, bytes: source.subarray(0, cut) }
  }
  if (kind === 1) {
    const copy = Uint8Array.from(source)
    const at: number[] = []
    const span = r() < 0.5 ? source.length : Math.max(1, Math.floor(source.length / 5))
    for (let k = 0, n = 1 + int(r, 4); k < n; k++) {
      const p = int(r, span)
      copy[p] = int(r, 256)
      at.push(p)
    }
    return { what: `${name} #${i}: bytes changed at ${at.join(',')}`, bytes: copy }
  }
  const model = decodeModel(source, name)
  const edits = Array.from({ length: 1 + int(r, kind === 3 ? 3 : 1) }, () => edit(model, r))
  return { what: `${name} #${i}: ${edits.join('; ')}`, bytes: encodeModel(model) }
}
