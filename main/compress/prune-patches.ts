/**
 * What a conv reads at one output position, as a row for least squares: the input patch of one
 * group (channels × kH × kW, zero where the window hangs over the padding) and a 1 for the bias.
 * And which output positions of an image recovery samples: a few, the same in every pass.
 */
import { attrInt, attrInts, attrString } from '../model/graph.js'
import type { NodeProto } from '../model/proto.js'
import type { Activation } from './activations.js'

export interface ConvGeometry {
  groups: number
  /** Input channels per group (of the pruned conv). */
  ig: number
  kh: number
  kw: number
  sh: number
  sw: number
  dh: number
  dw: number
  /** Top and left padding. */
  pt: number
  pl: number
  inH: number
  inW: number
  outH: number
  outW: number
}

/** The geometry of a 2-D conv with weights `w` ([Cout, Cin/groups, kH, kW]) between the given sizes. */
export function convGeometry(node: NodeProto, w: readonly number[], inDims: readonly number[], outH: number, outW: number): ConvGeometry {
  const [kh, kw] = [w[2] ?? 1, w[3] ?? 1]
  const [sh, sw] = attrInts(node, 'strides') ?? [1, 1]
  const [dh, dw] = attrInts(node, 'dilations') ?? [1, 1]
  const inH = inDims[2] ?? 1
  const inW = inDims[3] ?? 1
  let [pt, pl] = attrInts(node, 'pads') ?? [0, 0]
  const auto = attrString(node, 'auto_pad', 'NOTSET')
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const total = (out: number, s: number, k: number, d: number, size: number): number => Math.max(0, (out - 1) * s + (k - 1) * d + 1 - size)
    const th = total(outH, sh ?? 1, kh, dh ?? 1, inH)
    const tw = total(outW, sw ?? 1, kw, dw ?? 1, inW)
    pt = auto === 'SAME_UPPER' ? Math.floor(th / 2) : Math.ceil(th / 2)
    pl = auto === 'SAME_UPPER' ? Math.floor(tw / 2) : Math.ceil(tw / 2)
  } else if (auto === 'VALID') [pt, pl] = [0, 0]
  return {
    groups: attrInt(node, 'group', 1),
    ig: w[1] ?? 1,
    kh,
    kw,
    sh: sh ?? 1,
    sw: sw ?? 1,
    dh: dh ?? 1,
    dw: dw ?? 1,
    pt: pt ?? 0,
    pl: pl ?? 0,
    inH,
    inW,
    outH,
    outW,
  }
}

/**
 * Fills `row` with the patch group `g` reads at output position `p` (row-major in the output
 * plane) of sample `n`: channel-major, then kH, then kW, as the weights are laid out; then 1.
 */
export function patchRow(x: Activation, n: number, p: number, g: number, geo: ConvGeometry, row: Float64Array): void {
  const channels = x.dims[1] ?? 1
  const plane = geo.inH * geo.inW
  const oy = Math.floor(p / geo.outW)
  const ox = p % geo.outW
  const y0 = oy * geo.sh - geo.pt
  const x0 = ox * geo.sw - geo.pl
  let i = 0
  for (let c = 0; c < geo.ig; c++) {
    const base = (n * channels + g * geo.ig + c) * plane
    for (let ky = 0; ky < geo.kh; ky++) {
      const iy = y0 + ky * geo.dh
      const inside = iy >= 0 && iy < geo.inH
      for (let kx = 0; kx < geo.kw; kx++) {
        const ix = x0 + kx * geo.dw
        row[i++] = inside && ix >= 0 && ix < geo.inW ? (x.data[base + iy * geo.inW + ix] as number) : 0
      }
    }
  }
  row[i] = 1
}

/** `count` distinct positions out of `plane`, the same for a (layer, sample) pair in every pass. */
export function samplePositions(layer: number, sample: number, plane: number, count: number): number[] {
  if (count >= plane) return [...Array(plane).keys()]
  // A small LCG seeded per (layer, sample): no Math.random, so passes and runs agree.
  let s = (Math.imul(layer + 1, 0x9e3779b1) ^ Math.imul(sample + 1, 0x85ebca6b)) >>> 0
  const picked = new Set<number>()
  while (picked.size < count) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    picked.add(s % plane)
  }
  return [...picked]
}
