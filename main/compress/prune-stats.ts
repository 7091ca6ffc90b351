/**
 * Per-channel activation statistics on calibration data, for the `activation` criterion: one
 * streamed pass of the (simplified, unpruned) model keeping, per channel of each tensor asked
 * for, the mean |x| and the mean x² over samples and positions.
 */
import type { Batch } from '../../devices/device.js'
import type { ModelProto } from '../model/proto.js'
import { streamOutputs } from './activations.js'

export interface ChannelStats {
  /** Mean |x| per channel. */
  meanAbs: Float64Array
  /** Mean x² per channel. */
  meanSq: Float64Array
}

export async function channelStats(
  model: ModelProto,
  tensors: readonly string[],
  data: AsyncIterable<Batch>,
  opts: { signal?: AbortSignal } = {},
): Promise<Map<string, ChannelStats>> {
  const sums = new Map<string, { abs: Float64Array; sq: Float64Array; count: number }>()
  await streamOutputs(
    { model, names: tensors, truncate: true },
    data,
    (_, out) => {
      for (const [name, t] of out) {
        const channels = t.dims[1] ?? 1
        const plane = t.dims.slice(2).reduce((a, b) => a * b, 1)
        const n = t.dims[0] ?? 1
        let s = sums.get(name)
        if (!s) sums.set(name, (s = { abs: new Float64Array(channels), sq: new Float64Array(channels), count: 0 }))
        for (let i = 0; i < n; i++) {
          for (let c = 0; c < channels; c++) {
            let a = 0
            let q = 0
            const base = (i * channels + c) * plane
            for (let p = 0; p < plane; p++) {
              const v = t.data[base + p] as number
              a += Math.abs(v)
              q += v * v
            }
            s.abs[c] = (s.abs[c] as number) + a
            s.sq[c] = (s.sq[c] as number) + q
          }
        }
        s.count += n * plane
      }
    },
    { ...(opts.signal ? { signal: opts.signal } : {}), what: 'calibration' },
  )
  return new Map(
    [...sums].map(([name, s]) => [name, { meanAbs: s.abs.map((v) => v / Math.max(1, s.count)), meanSq: s.sq.map((v) => v / Math.max(1, s.count)) }]),
  )
}
