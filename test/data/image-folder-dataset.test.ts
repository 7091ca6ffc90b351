import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isStudioError } from '../../common/errors.js'
import { batches } from '../../main/data/batches.js'
import { resolveDataset } from '../../main/data/datasets.js'
import type { PreprocessSpec } from '../../common/types.js'

let dir: string

function solid(width: number, height: number, rgb: [number, number, number]): sharp.Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-imgfolder-'))
  // Class folders deliberately created out of order: labels follow sorted names, not creation.
  const zebra = join(dir, 'test', 'zebra')
  const apple = join(dir, 'test', 'apple')
  await mkdir(zebra, { recursive: true })
  await mkdir(apple, { recursive: true })
  await solid(40, 30, [255, 255, 255]).png().toFile(join(zebra, 'b.png'))
  await solid(64, 64, [250, 250, 250]).jpeg({ quality: 95 }).toFile(join(zebra, 'a.jpg'))
  await solid(17, 50, [200, 0, 0]).png().toFile(join(apple, 'red.png'))
  // A one-channel grey PNG.
  await solid(28, 28, [100, 100, 100]).greyscale().png().toFile(join(apple, 'grey.png'))
  // An RGBA PNG: the alpha channel must not reach the model.
  await sharp({
    create: { width: 20, height: 20, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } },
  })
    .png()
    .toFile(join(apple, 'translucent.png'))
  await writeFile(join(apple, 'notes.txt'), 'not an image')
  const bad = join(dir, 'bad', 'cls')
  await mkdir(bad, { recursive: true })
  await solid(8, 8, [0, 0, 0]).png().toFile(join(bad, 'a.png'))
  await writeFile(join(bad, 'broken.png'), 'this is not a PNG')
  await mkdir(join(dir, 'empty', 'cls'), { recursive: true })
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const grey28: PreprocessSpec = {
  layout: 'NCHW',
  channels: 1,
  height: 28,
  width: 28,
  scale: 1,
  mean: [0],
  std: [1],
}

describe('ImageFolder', () => {
  it('finds the split folder, sorts class names and labels, and skips non-images', async () => {
    const ds = await resolveDataset(dir, { split: 'test' })
    expect(ds.format).toBe('imagefolder')
    expect(ds.classes).toEqual(['apple', 'zebra'])
    expect(ds.count).toBe(5)
    expect([0, 1, 2, 3, 4].map((i) => ds.label(i))).toEqual([0, 0, 0, 1, 1])
  })

  it('decodes PNG and JPEG files of different sizes to 28×28 and greys them like PIL', async () => {
    const ds = await resolveDataset(dir, { split: 'test' })
    const imgs = await ds.read(0, 5, { size: { height: 28, width: 28, channels: 1 } })
    for (const img of imgs) {
      expect([img.height, img.width]).toEqual([28, 28])
      expect(img.data.length).toBe(28 * 28 * img.channels)
    }
    const values: number[] = []
    for await (const b of batches(ds, grey28, 5)) {
      expect(b.dims).toEqual([5, 1, 28, 28])
      for (let i = 0; i < 5; i++) values.push(b.data[i * 784 + 400] as number)
    }
    // grey.png 100; red.png (200, 0, 0) → BT.601 luma 60; translucent blue, alpha dropped → 29;
    // a.jpg ≈ 250 (JPEG); b.png 255
    expect([values[0], values[1], values[2], values[4]]).toEqual([100, 60, 29, 255])
    expect(Math.abs((values[3] ?? 0) - 250)).toBeLessThanOrEqual(3)
  })

  it('streams batches in order, the last one short, and keeps colour for RGB models', async () => {
    const ds = await resolveDataset(dir, { split: 'test' })
    const seen = []
    for await (const b of batches(ds, grey28, 3)) seen.push(b)
    expect(seen.map((b) => b.dims)).toEqual([
      [3, 1, 28, 28],
      [2, 1, 28, 28],
    ])
    expect(seen.map((b) => [b.offset, b.count])).toEqual([
      [0, 3],
      [3, 2],
    ])
    expect(seen[1]?.data[784]).toBe(255)
    const rgb = await ds.read(1, 1, { size: { height: 32, width: 32, channels: 3 } })
    expect(rgb[0]?.channels).toBe(3)
    expect([...(rgb[0]?.data.subarray(0, 3) ?? [])]).toEqual([200, 0, 0])
  })

  it('decodes lazily, and names an undecodable file in a DATASET_INVALID error', async () => {
    // Opening and reading the good image work: files are decoded only when their batch is read.
    const ds = await resolveDataset(join(dir, 'bad'))
    expect(ds.count).toBe(2)
    expect((await ds.read(0, 1))[0]?.data.length).toBe(8 * 8 * 3)
    let err: unknown
    try {
      await ds.read(0, 2, { size: { height: 28, width: 28, channels: 1 } })
    } catch (e) {
      err = e
    }
    expect(isStudioError(err) && err.code).toBe('DATASET_INVALID')
    expect((err as Error).message).toContain('broken.png')
  })

  it('rejects a folder with no images', async () => {
    await expect(resolveDataset(join(dir, 'empty'))).rejects.toMatchObject({ code: 'DATASET_INVALID' })
  })
})
