import { copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isStudioError } from '../../common/errors.js'
import { listDatasets, resolveDataset } from '../../main/data/datasets.js'
import { resourcesDir } from '../../main/paths.js'

const FMNIST = join(resourcesDir(), 'datasets', 'fashion-mnist')

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length)
  const view = new DataView(head.buffer)
  head[2] = 0x08
  head[3] = dims.length
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d))
  return Buffer.concat([head, data])
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p
  } catch (e) {
    if (isStudioError(e)) return { code: e.code, message: e.message }
    throw e
  }
  throw new Error('expected a StudioError')
}

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-idx-'))
  // A folder of plain (not gzipped) MNIST-style files with a class list.
  const mnist = join(dir, 'digits')
  await mkdir(mnist)
  const pixels = new Uint8Array(3 * 4 * 5).map((_, i) => i)
  await writeFile(join(mnist, 't10k-images-idx3-ubyte'), idx([3, 4, 5], pixels))
  await writeFile(join(mnist, 't10k-labels-idx1-ubyte'), idx([3], Uint8Array.from([2, 0, 1])))
  await writeFile(join(mnist, 'classes.txt'), 'zero\none\ntwo\n')
  // Corrupt header: the data-type byte says float32 and the dims promise more than the file holds.
  const corrupt = join(dir, 'corrupt')
  await mkdir(corrupt)
  const bad = idx([10, 28, 28], new Uint8Array(50))
  bad[2] = 0x0d
  await writeFile(join(corrupt, 't10k-images-idx3-ubyte.gz'), gzipSync(bad))
  await copyFile(join(FMNIST, 't10k-labels-idx1-ubyte.gz'), join(corrupt, 't10k-labels-idx1-ubyte.gz'))
  // Images and labels of different splits.
  const mixed = join(dir, 'mixed')
  await mkdir(mixed)
  await copyFile(join(FMNIST, 'calib-images-idx3-ubyte.gz'), join(mixed, 't10k-images-idx3-ubyte.gz'))
  await copyFile(join(FMNIST, 't10k-labels-idx1-ubyte.gz'), join(mixed, 't10k-labels-idx1-ubyte.gz'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('bundled Fashion-MNIST (IDX)', () => {
  it('opens the test split by name: 10,000 images of 28×28, labels 0–9, first is an ankle boot', async () => {
    const ds = await resolveDataset('fashion-mnist')
    expect([ds.name, ds.split, ds.format, ds.count]).toEqual(['fashion-mnist', 'test', 'idx', 10000])
    expect([ds.height, ds.width, ds.channels]).toEqual([28, 28, 1])
    expect(ds.label(0)).toBe(9)
    expect(ds.classes[ds.label(0)]).toBe('Ankle boot')
    const counts = new Array<number>(10).fill(0)
    for (let i = 0; i < ds.count; i++) counts[ds.label(i)] = (counts[ds.label(i)] ?? 0) + 1
    // The test split is balanced: 1,000 per class.
    expect(counts).toEqual(new Array(10).fill(1000))
    const [first] = await ds.read(0, 1)
    expect(first?.data.length).toBe(784)
    // An ankle boot on a black background: dark corner, bright pixels in the middle rows.
    expect(first?.data[0]).toBe(0)
    expect(Math.max(...(first?.data.subarray(14 * 28, 15 * 28) ?? []))).toBeGreaterThan(100)
  })

  it('opens the calibration split and lists both splits for the app', async () => {
    const ds = await resolveDataset('fashion-mnist', { split: 'calibration' })
    expect(ds.count).toBe(1000)
    const list = await listDatasets()
    const fm = list.find((d) => d.name === 'fashion-mnist')
    expect(fm?.title).toBe('Fashion-MNIST')
    expect(fm?.splits).toEqual([
      { name: 'test', count: 10000 },
      { name: 'calibration', count: 1000 },
    ])
    expect(fm?.classes).toHaveLength(10)
  })

  it('opens the bundled folder by path too, choosing the t10k files for split test', async () => {
    const ds = await resolveDataset(FMNIST)
    expect([ds.format, ds.split, ds.count, ds.label(0)]).toEqual(['idx', 'test', 10000, 9])
  })
})

describe('IDX folders', () => {
  it('reads plain IDX files with class names from classes.txt', async () => {
    const ds = await resolveDataset(join(dir, 'digits'))
    expect([ds.count, ds.height, ds.width, ds.channels]).toEqual([3, 4, 5, 1])
    expect(ds.classes).toEqual(['zero', 'one', 'two'])
    expect([ds.label(0), ds.label(1), ds.label(2)]).toEqual([2, 0, 1])
    const imgs = await ds.read(1, 2)
    expect([...(imgs[0]?.data ?? [])]).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i))
  })

  it('rejects a corrupt IDX header with DATASET_INVALID naming the file', async () => {
    const e = await codeOf(resolveDataset(join(dir, 'corrupt')))
    expect(e.code).toBe('DATASET_INVALID')
    expect(e.message).toContain('t10k-images-idx3-ubyte.gz')
  })

  it('rejects images and labels of different splits', async () => {
    const e = await codeOf(resolveDataset(join(dir, 'mixed')))
    expect(e.code).toBe('DATASET_INVALID')
    expect(e.message).toMatch(/1000 images but .*10000 labels/)
  })

  it('says FILE_NOT_FOUND for an unknown name, listing the bundled datasets', async () => {
    const e = await codeOf(resolveDataset('imagenet-21k'))
    expect(e.code).toBe('FILE_NOT_FOUND')
    expect(e.message).toContain('fashion-mnist')
  })

  it('says which splits exist when the asked one is missing', async () => {
    const e = await codeOf(resolveDataset('fashion-mnist', { split: 'train' }))
    expect(e.message).toContain('test, calibration')
  })
})
