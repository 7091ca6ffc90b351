import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isStudioError } from '../../common/errors.js'
import { resolveDataset } from '../../main/data/datasets.js'

const PLANE = 1024

/** Record i: label labels[i]; R = (i + x) mod 256, G = y, B = 200 + i (CHW planes, as on disk). */
function record(i: number, label: number): Uint8Array {
  const r = new Uint8Array(1 + 3 * PLANE)
  r[0] = label
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const p = y * 32 + x
      r[1 + p] = (i + x) % 256
      r[1 + PLANE + p] = y
      r[1 + 2 * PLANE + p] = 200 + i
    }
  }
  return r
}

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-cifar-'))
  const batchDir = join(dir, 'cifar-10-batches-bin')
  await mkdir(batchDir)
  const labels = [3, 0, 9]
  await writeFile(join(batchDir, 'test_batch.bin'), Buffer.concat(labels.map((l, i) => record(i, l))))
  await writeFile(join(batchDir, 'data_batch_1.bin'), record(7, 5))
  await writeFile(
    join(batchDir, 'batches.meta.txt'),
    'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n',
  )
  await writeFile(join(dir, 'broken.bin'), new Uint8Array(3000))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('CIFAR-10 binary batches', () => {
  it('reads labels and HWC pixels back from the test batch of an unpacked tarball', async () => {
    const ds = await resolveDataset(dir)
    expect(ds.format).toBe('cifar10')
    expect(ds.split).toBe('test')
    expect(ds.count).toBe(3)
    expect([ds.height, ds.width, ds.channels]).toEqual([32, 32, 3])
    expect([0, 1, 2].map((i) => ds.label(i))).toEqual([3, 0, 9])
    expect(ds.classes[ds.label(0)]).toBe('cat')
    expect(ds.classes).toHaveLength(10)
    const imgs = await ds.read(1, 2)
    for (const [k, img] of imgs.entries()) {
      const i = k + 1
      // pixel (y = 5, x = 7) is at HWC offset (5 * 32 + 7) * 3
      const at = (5 * 32 + 7) * 3
      expect([...img.data.subarray(at, at + 3)]).toEqual([(i + 7) % 256, 5, 200 + i])
      expect(img.data.length).toBe(32 * 32 * 3)
    }
  })

  it('reads the training split from data_batch_*.bin', async () => {
    const ds = await resolveDataset(dir, { split: 'train' })
    expect(ds.count).toBe(1)
    expect(ds.label(0)).toBe(5)
  })

  it('rejects a file that is not whole CIFAR-10 records with DATASET_INVALID naming the file', async () => {
    let err: unknown
    try {
      await resolveDataset(join(dir, 'broken.bin'))
    } catch (e) {
      err = e
    }
    expect(isStudioError(err) && err.code).toBe('DATASET_INVALID')
    expect((err as Error).message).toContain('broken.bin')
    expect((err as Error).message).toContain('cifar-10-binary.tar.gz')
  })

  it('says which splits exist when the asked one is missing', async () => {
    await expect(resolveDataset(dir, { split: 'val' })).rejects.toThrow(/test_batch\.bin/)
  })
})
