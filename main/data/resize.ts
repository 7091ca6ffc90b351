/**
 * Bilinear resize of uint8 HWC images held in memory (IDX, CIFAR-10), for models whose input size
 * differs from the dataset's. Files decoded by sharp are resized by sharp instead.
 */

interface AxisTable {
  lo: Int32Array
  hi: Int32Array
  frac: Float32Array
}

/** Source sample positions with half-pixel centres (align_corners = false, as PIL and OpenCV). */
function axisTable(src: number, dst: number): AxisTable {
  const lo = new Int32Array(dst)
  const hi = new Int32Array(dst)
  const frac = new Float32Array(dst)
  const ratio = src / dst
  for (let i = 0; i < dst; i++) {
    const pos = Math.min(Math.max((i + 0.5) * ratio - 0.5, 0), src - 1)
    const l = Math.floor(pos)
    lo[i] = l
    hi[i] = Math.min(l + 1, src - 1)
    frac[i] = pos - l
  }
  return { lo, hi, frac }
}

/**
 * A resizer for one (source size → target size) pair; tables are computed once and reused for
 * every image of the dataset, so resizing allocates nothing per image.
 */
export class BilinearResizer {
  private srcH = -1
  private srcW = -1
  private dstH = -1
  private dstW = -1
  private ys: AxisTable = axisTable(1, 1)
  private xs: AxisTable = axisTable(1, 1)

  /** Writes the resized image (dstH × dstW × channels) into `out`, which must be large enough. */
  resize(
    src: Uint8Array,
    srcH: number,
    srcW: number,
    channels: number,
    dstH: number,
    dstW: number,
    out: Uint8Array,
  ): void {
    if (srcH !== this.srcH || srcW !== this.srcW || dstH !== this.dstH || dstW !== this.dstW) {
      this.ys = axisTable(srcH, dstH)
      this.xs = axisTable(srcW, dstW)
      this.srcH = srcH
      this.srcW = srcW
      this.dstH = dstH
      this.dstW = dstW
    }
    const { ys, xs } = this
    const rowStride = srcW * channels
    let o = 0
    for (let y = 0; y < dstH; y++) {
      const r0 = (ys.lo[y] as number) * rowStride
      const r1 = (ys.hi[y] as number) * rowStride
      const fy = ys.frac[y] as number
      for (let x = 0; x < dstW; x++) {
        const c0 = (xs.lo[x] as number) * channels
        const c1 = (xs.hi[x] as number) * channels
        const fx = xs.frac[x] as number
        for (let c = 0; c < channels; c++) {
          const a = src[r0 + c0 + c] as number
          const b = src[r0 + c1 + c] as number
          const d = src[r1 + c0 + c] as number
          const e = src[r1 + c1 + c] as number
          const top = a + (b - a) * fx
          const bottom = d + (e - d) * fx
          // values are ≥ 0, so truncating v + 0.5 rounds (cheaper than Math.round)
          out[o++] = (top + (bottom - top) * fy + 0.5) | 0
        }
      }
    }
  }
}
