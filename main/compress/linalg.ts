/**
 * The little dense linear algebra recovery needs: ridge-regularised least squares through the
 * normal equations (a Cholesky factorisation of XᵀX + λI, solved for several right-hand sides).
 * Sizes are a layer's fan-in (≤ a few thousand), so plain loops in Float64 are enough.
 */

/**
 * Accumulates rows of X (length k) and Y (length m) into XᵀX (upper triangle) and XᵀY, so memory
 * is k² + k·m whatever the number of rows.
 */
export class NormalEquations {
  readonly xtx: Float64Array
  readonly xty: Float64Array
  rows = 0

  constructor(
    readonly k: number,
    readonly m: number,
  ) {
    this.xtx = new Float64Array(k * k)
    this.xty = new Float64Array(k * m)
  }

  add(x: Float64Array, y: ArrayLike<number>): void {
    const { k, m, xtx, xty } = this
    for (let i = 0; i < k; i++) {
      const xi = x[i] as number
      if (xi === 0) continue // ReLU outputs and zero padding: most entries are zeros
      const row = i * k
      for (let j = i; j < k; j++) xtx[row + j] = (xtx[row + j] as number) + xi * (x[j] as number)
      const out = i * m
      for (let o = 0; o < m; o++) xty[out + o] = (xty[out + o] as number) + xi * (y[o] as number)
    }
    this.rows += 1
  }

  /**
   * W (k × m, row-major) minimising ‖XW − Y‖² + λ‖W‖² with λ = `ridge` × mean(diag XᵀX); the
   * ridge keeps dead (all-zero) or collinear inputs from making the system singular. Null when
   * the factorisation fails anyway.
   */
  solve(ridge = 1e-3): Float64Array | null {
    const { k, m } = this
    const a = new Float64Array(k * k)
    let trace = 0
    for (let i = 0; i < k; i++) trace += this.xtx[i * k + i] as number
    const lambda = Math.max(1e-12, (ridge * trace) / Math.max(1, k))
    for (let i = 0; i < k; i++) {
      for (let j = i; j < k; j++) {
        const v = (this.xtx[i * k + j] as number) + (i === j ? lambda : 0)
        a[i * k + j] = v
        a[j * k + i] = v
      }
    }
    if (!cholesky(a, k)) return null
    const w = new Float64Array(k * m)
    const col = new Float64Array(k)
    for (let o = 0; o < m; o++) {
      for (let i = 0; i < k; i++) col[i] = this.xty[i * m + o] as number
      choleskySolve(a, k, col)
      for (let i = 0; i < k; i++) w[i * m + o] = col[i] as number
    }
    return w
  }

  /** Σ‖x·W − y‖² over the rows added, minus Σ‖y‖² (which does not depend on W): for comparing Ws. */
  relativeError(w: Float64Array): number {
    const { k, m, xtx, xty } = this
    let err = 0
    for (let o = 0; o < m; o++) {
      let quad = 0
      let lin = 0
      for (let i = 0; i < k; i++) {
        const wi = w[i * m + o] as number
        if (wi === 0) continue
        lin += wi * (xty[i * m + o] as number)
        quad += wi * wi * (xtx[i * k + i] as number)
        for (let j = i + 1; j < k; j++) quad += 2 * wi * (w[j * m + o] as number) * (xtx[i * k + j] as number)
      }
      err += quad - 2 * lin
    }
    return err
  }
}

/** In-place lower Cholesky factor of a symmetric positive definite k × k matrix; false if it is not. */
function cholesky(a: Float64Array, k: number): boolean {
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j] as number
    for (let p = 0; p < j; p++) d -= (a[j * k + p] as number) ** 2
    if (!(d > 0)) return false
    const l = Math.sqrt(d)
    a[j * k + j] = l
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j] as number
      for (let p = 0; p < j; p++) s -= (a[i * k + p] as number) * (a[j * k + p] as number)
      a[i * k + j] = s / l
    }
  }
  return true
}

/** Solves L Lᵀ x = b in place (L from cholesky). */
function choleskySolve(l: Float64Array, k: number, b: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let s = b[i] as number
    for (let p = 0; p < i; p++) s -= (l[i * k + p] as number) * (b[p] as number)
    b[i] = s / (l[i * k + i] as number)
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i] as number
    for (let p = i + 1; p < k; p++) s -= (l[p * k + i] as number) * (b[p] as number)
    b[i] = s / (l[i * k + i] as number)
  }
}
