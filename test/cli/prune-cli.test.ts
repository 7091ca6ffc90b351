/** `edgebench prune` with data, as a user runs it: real process, real files, real store. */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { saveModel } from '../../main/model/onnx-io.js'
import { outputTapNet } from '../fixtures/compress/prune-fixtures.js'
import { buildModel, ints, tensor, weights } from '../model/build.js'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
const resnet8 = join(root, 'resources/models/resnet8.onnx')
let dir: string

function cli(db: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--db', db, ...args], { encoding: 'utf8', cwd: dir, timeout: 240_000 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function models(db: string): { name: string; recipe: string | null }[] {
  if (!existsSync(db)) return []
  const conn = new Database(db, { readonly: true })
  try {
    return conn.prepare('SELECT name, recipe FROM models ORDER BY id').all() as { name: string; recipe: string | null }[]
  } finally {
    conn.close()
  }
}

/** A 16-vector input reshaped to 1×4×4 for two convs: prunable, but no image dataset fits its input. */
function vectorNet(): ReturnType<typeof buildModel> {
  return buildModel({
    inputs: [{ name: 'x', elemType: 1, dims: ['N', 16] }],
    outputs: ['y'],
    nodes: [
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['img'] },
      { op: 'Conv', inputs: ['img', 'w1'], outputs: ['c1'], attrs: [ints('pads', [1, 1, 1, 1])] },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'w2'], outputs: ['y'] },
    ],
    initializers: [tensor('shape', 7, [4], [-1, 1, 4, 4]), weights('w1', [8, 1, 3, 3], 1), weights('w2', [2, 8, 1, 1], 2)],
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-prune-cli-'))
  await saveModel(outputTapNet(), join(dir, 'tap.onnx'))
  await saveModel(vectorNet(), join(dir, 'vec.onnx'))
  // A folder holding only the Fashion-MNIST test split: never calibration data.
  mkdirSync(join(dir, 'test-only'))
  for (const f of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    symlinkSync(join(root, 'resources/datasets/fashion-mnist', f), join(dir, 'test-only', f))
  }
})

describe('edgebench prune with calibration data', () => {
  it('--target-macs 0.5 --json: within the target, the scan, recovery and calibration split in the output and the stored recipe', () => {
    const db = join(dir, 'ok.db')
    const out = join(dir, 'r8-m50.onnx')
    const r = cli(db, 'prune', resnet8, '--target-macs', '0.5', '--samples', '200', '-o', out, '--json')
    expect(r.status, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as { ratios: { macs: number }; prune: { targetMacs: number; sensitivity: { groups: { points: unknown[] }[] }; recovery: { method: string }; calibration: { split: string } } }
    expect(j.ratios.macs).toBeLessThanOrEqual(0.5)
    expect(j.prune.targetMacs).toBe(0.5)
    expect(j.prune.sensitivity.groups).toHaveLength(6)
    expect(j.prune.recovery.method).toBe('ls')
    expect(j.prune.calibration.split).toBe('calibration')
    const variant = models(db).find((m) => m.name === 'resnet8-pruned-m50')
    expect(JSON.parse(variant?.recipe ?? '{}')).toMatchObject({
      method: 'prune-structured',
      params: { targetMacs: 0.5, recover: 'ls', calibration: 'fashion-mnist', calibrationSplit: 'calibration', samples: 200 },
    })
  }, 240_000)

  const bad: [string, string[], RegExp][] = [
    ['a target outside (0, 1)', [resnet8, '--target-macs', '1.2'], /between 0 and 1/],
    ['both a ratio and a target', [resnet8, '--structured', '0.5', '--target-macs', '0.5'], /exactly one/],
    ['a model with nothing prunable', ['tap.onnx', '--structured', '0.5'], /Nothing in this model can be pruned/],
    ['recovery without calibration data', ['tap.onnx', '--structured', '0.5', '--recover', 'ls'], /--calibration/],
    ['a calibration set that does not fit the input', ['vec.onnx', '--structured', '0.5', '--calibration', 'fashion-mnist'], /not a 4-D image batch/],
    ['a test split as calibration data', [resnet8, '--structured', '0.5', '--calibration', 'test-only'], /never used for calibration/],
  ]
  for (const [what, args, message] of bad) {
    it(`${what}: exit 2, one line, nothing written, nothing stored`, () => {
      const db = join(dir, `${what.replace(/\W+/g, '-')}.db`)
      const out = join(dir, 'refused.onnx')
      const r = cli(db, 'prune', ...args, '-o', out)
      expect(r.status, r.stderr).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(message)
      expect(existsSync(out)).toBe(false)
      expect(models(db)).toEqual([])
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    }, 120_000)
  }
})
