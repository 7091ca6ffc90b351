/**
 * Resizing of uint8 HWC images held in memory (IDX, CIFAR-10), for models whose input size differs
 * from the dataset's: bilinear or nearest, stretched to the target or keeping the aspect ratio
 * (short side scaled, centre crop). Files decoded by sharp are resized by sharp instead.
 */
import type { ResizeMethod, ResizeMode } from '../../common/preprocessing.js'

interface AxisTable {
  lo: Int32Array
  hi: Int32Array
  frac: Float32Array
}

/**
 * Source sample positions of `dst` outputs covering source pixels [start, start + len), with
 * half-pixel centres (align_corners = false, as PIL and OpenCV); nearest takes the pixel the
 * centre falls in (PIL's NEAREST).
 */
function axisTable(src: number, dst: number, start: number, len: number, nearest: boolean): AxisTable {
  const lo = new Int32Array(dst)
  const hi = new Int32Array(dst)
  const frac = new Float32Array(dst)
  const ratio = len / dst
  for (let i = 0; i < dst; i++) {
    if (nearest) {
      const p = Math.min(src - 1, Math.max(0, Math.floor(start + (i + 0.5) * ratio)))
      lo[i] = p
      hi[i] = p
      continue
    }
    const pos = Math.min(Math.max(start + (i + 0.5) * ratio - 0.5, 0), src - 1)
    const l = Math.floor(pos)
    lo[i] = l
    hi[i] = Math.min(l + 1, src - 1)
    frac[i] = pos - l
  }
  return { lo, hi, frac }
}

/**
 * The source window a keep-aspect centre crop reads: the largest centred region with the target's
 * aspect ratio (scaling it to the target = scaling the short side, then cropping the long one).
 */
export function cropWindow(srcH: number, srcW: number, dstH: number, dstW: number): { y: number; x: number; h: number; w: number } {
  const scale = Math.min(srcH / dstH, srcW / dstW)
  const h = dstH * scale
  const w = dstW * scale
  return { y: (srcH - h) / 2, x: (srcW - w) / 2, h, w }
}

/**
 * A resizer for one (source size → target size) pair; tables are computed once and reused for
 * every image of the dataset, so resizing allocates nothing per image.
 */
export class Resizer {
  private key = ''
  private ys: AxisTable = axisTable(1, 1, 0, 1, false)
  private xs: AxisTable = axisTable(1, 1, 0, 1, false)

  constructor(
    private readonly method: ResizeMethod = 'bilinear',
    private readonly mode: ResizeMode = 'stretch',
  ) {}

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
    const key = `${srcH}x${srcW}>${dstH}x${dstW}`
    if (key !== this.key) {
      const win = this.mode === 'crop' ? cropWindow(srcH, srcW, dstH, dstW) : { y: 0, x: 0, h: srcH, w: srcW }
      const nearest = this.method === 'nearest'
      this.ys = axisTable(srcH, dstH, win.y, win.h, nearest)
      this.xs = axisTable(srcW, dstW, win.x, win.w, nearest)
      this.key = key
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

