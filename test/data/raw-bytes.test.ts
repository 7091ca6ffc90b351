import { describe, expect, it } from 'vitest'
import type { PreprocessSpec } from '../../common/types.js'
import { batches } from '../../main/data/batches.js'
import { InMemoryDataset } from '../../main/data/in-memory-dataset.js'
import { makeRawConverter } from '../../main/data/raw-bytes.js'

const spec = (channels: 1 | 3, size = 2): PreprocessSpec => ({
  layout: 'NCHW',
  channels,
  height: size,
  width: size,
  scale: 1 / 255,
  mean: [0],
  std: [1],
})

describe('raw bytes for serial boards (uint8 HWC at the preprocessing size)', () => {
  it('passes same-size samples through as views, without a copy', () => {
    const data = Uint8Array.from([1, 2, 3, 4])
    const out = makeRawConverter(spec(1))({ data, height: 2, width: 2, channels: 1 })
    expect(out).toEqual(data)
    expect(out.buffer).toBe(data.buffer)
  })

  it('converts grey to RGB by replication and RGB to grey by BT.601 luma', () => {
    const grey = makeRawConverter(spec(3, 1))({
      data: Uint8Array.from([7]),
      height: 1,
      width: 1,
      channels: 1,
    })
    expect(Array.from(grey)).toEqual([7, 7, 7])
    const rgb = makeRawConverter(spec(1, 1))({
      data: Uint8Array.from([255, 0, 0]),
      height: 1,
      width: 1,
      channels: 3,
    })
    expect(Array.from(rgb)).toEqual([76])
  })

  it('resizes to the model size', () => {
    const out = makeRawConverter(spec(1, 2))({
      data: new Uint8Array(16).fill(9),
      height: 4,
      width: 4,
      channels: 1,
    })
    expect(Array.from(out)).toEqual([9, 9, 9, 9])
  })
})

describe('batches({ raw: true })', () => {
  it('gives each batch the raw bytes of its samples beside the float tensor, padding with zeros', async () => {
    const pixels = Uint8Array.from({ length: 3 * 4 }, (_, i) => i * 10)
    const ds = new InMemoryDataset({
      name: 't',
      split: 'test',
      format: 'idx',
      source: 'mem',
      height: 2,
      width: 2,
      channels: 1,
      classes: ['a', 'b'],
      pixels,
      labels: Uint8Array.from([0, 1, 0]),
    })
    const got = []
    for await (const b of batches(ds, spec(1), 2, { raw: true, padTo: 2 })) got.push(b)
    expect(got.map((b) => b.raw?.map((r) => Array.from(r)))).toEqual([
      [
        [0, 10, 20, 30],
        [40, 50, 60, 70],
      ],
      [
        [80, 90, 100, 110],
        [0, 0, 0, 0],
      ],
    ])
    expect(got[0]?.data[1]).toBeCloseTo(10 / 255, 6)
    for await (const b of batches(ds, spec(1), 2)) expect(b.raw).toBeUndefined()
  })
})
