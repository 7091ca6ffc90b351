import { describe, expect, it } from 'vitest'
import type { PreprocessSpec } from '../../common/types.js'
import { batches, chooseBatchSize } from '../../main/data/batches.js'
import { InMemoryDataset } from '../../main/data/in-memory-dataset.js'
import { isStudioError } from '../../common/errors.js'

// Ten 2×2 grey images; image i has every pixel = 10·i. Labels i mod 3.
const dataset = new InMemoryDataset({
  name: 'tiny',
  split: 'test',
  format: 'idx',
  source: 'memory',
  height: 2,
  width: 2,
  channels: 1,
  classes: ['a', 'b', 'c'],
  pixels: Uint8Array.from({ length: 40 }, (_, i) => 10 * Math.floor(i / 4)),
  labels: Uint8Array.from({ length: 10 }, (_, i) => i % 3),
})
const spec: PreprocessSpec = {
  layout: 'NHWC',
  channels: 1,
  height: 2,
  width: 2,
  scale: 1,
  mean: [0],
  std: [1],
}

async function collect(
  it: AsyncIterable<{ offset: number; count: number; dims: number[]; data: Float32Array }>,
) {
  const out = []
  for await (const b of it) out.push(b)
  return out
}

describe('batches', () => {
  it('yields batches in dataset order with the model input dims, the last one short', async () => {
    const got = await collect(batches(dataset, spec, 4))
    expect(got.map((b) => [b.offset, b.count])).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ])
    expect(got.map((b) => b.dims)).toEqual([
      [4, 2, 2, 1],
      [4, 2, 2, 1],
      [2, 2, 2, 1],
    ])
    expect(got.flatMap((b) => [...b.data].filter((_, i) => i % 4 === 0))).toEqual([
      0, 10, 20, 30, 40, 50, 60, 70, 80, 90,
    ])
  })

  it('stops at the limit', async () => {
    const got = await collect(batches(dataset, spec, 4, { limit: 5 }))
    expect(got.map((b) => b.count)).toEqual([4, 1])
  })

  it('pads the last batch with zero samples for a fixed batch size', async () => {
    const got = await collect(batches(dataset, spec, 4, { padTo: 4 }))
    const last = got.at(-1)
    expect([last?.count, last?.dims[0], last?.data.length]).toEqual([4, 4, 16])
    expect([...(last?.data ?? [])]).toEqual([80, 80, 80, 80, 90, 90, 90, 90, 0, 0, 0, 0, 0, 0, 0, 0])
  })

  it('stops with CANCELLED once the signal is aborted', async () => {
    const ac = new AbortController()
    let err: unknown
    let seen = 0
    try {
      for await (const b of batches(dataset, spec, 2, { signal: ac.signal })) {
        expect(b.count).toBe(2)
        seen++
        ac.abort()
      }
    } catch (e) {
      err = e
    }
    expect(seen).toBe(1)
    expect(isStudioError(err) && err.code).toBe('CANCELLED')
  })
})

describe('chooseBatchSize', () => {
  it("keeps the model's fixed batch size", () => {
    expect(chooseBatchSize([1, 3, 32, 32])).toBe(1)
    expect(chooseBatchSize([8, 1, 28, 28])).toBe(8)
  })

  it('picks 100 for small dynamic inputs and keeps big batch tensors under 8 MB', () => {
    expect(chooseBatchSize(['batch', 1, 28, 28])).toBe(100)
    expect(chooseBatchSize([-1, 3, 32, 32])).toBe(100)
    const big = chooseBatchSize([0, 3, 224, 224])
    expect(big).toBe(13)
    expect(big * 3 * 224 * 224 * 4).toBeLessThanOrEqual(8 * 1024 * 1024)
    expect(chooseBatchSize(['n', 3, 'h', 'w'])).toBe(13)
  })
})
