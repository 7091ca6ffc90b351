/**
 * Preprocessing from the command line as a user meets it: a zoo model copied without its card
 * scores near chance (with the warning) until the card's values are given as flags, then exactly the
 * card's top-1 on the full split; `model set` stores them, bad values exit 2 with one line and store
 * nothing; `models list` shows every model and variant with its figures and preprocessing.
 * Real processes, a real database file, real ONNX Runtime.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelInfo } from '../../common/api.js'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
interface Card {
  top1: number
  preprocessing: { scale: number; mean: number[]; std: number[] }
}
const cardOf = (name: string): Card => JSON.parse(readFileSync(join(root, 'resources/models', `${name}.json`), 'utf8')) as Card

let dir = ''
let db = ''

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--db', db, ...args], { encoding: 'utf8', cwd: dir, timeout: 300_000 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** A zoo model copied without its card: a user's own file. */
function copyOf(name: string): string {
  const path = join(dir, `my-${name}.onnx`)
  copyFileSync(join(root, 'resources/models', `${name}.onnx`), path)
  return path
}

const cardFlags = (c: Card): string[] => ['--scale', String(c.preprocessing.scale), '--mean', c.preprocessing.mean.join(','), '--std', c.preprocessing.std.join(',')]

function models(): ModelInfo[] {
  const r = cli('models', 'list', '--json')
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as ModelInfo[]
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-ppcli-'))
  db = join(dir, 'studio.db')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('preprocessing on the command line', () => {
  for (const name of ['shufflenetv2', 'resnet8']) {
    it(`${name} copied without its card: chance warning; with the card's values as flags, the card's top-1 exactly (full split)`, () => {
      const card = cardOf(name)
      const path = copyOf(name)
      const bare = cli('eval', path, '--dataset', 'fashion-mnist', '--json')
      expect(bare.status, bare.stderr).toBe(0)
      const b = JSON.parse(bare.stdout) as { top1: number; warnings: string[]; preprocessing: { source: string } }
      expect(b.preprocessing.source).toBe('default')
      expect(b.warnings.join(' ')).toMatch(/within 2× of chance/)
      const fed = cli('eval', path, '--dataset', 'fashion-mnist', ...cardFlags(card), '--json')
      expect(fed.status, fed.stderr).toBe(0)
      const f = JSON.parse(fed.stdout) as { top1: number; count: number; warnings: string[]; preprocessing: { source: string } }
      expect(f.count).toBe(10_000)
      expect(f.top1.toFixed(4)).toBe(card.top1.toFixed(4))
      expect(f.warnings).toEqual([])
      expect(f.preprocessing.source).toBe('override')
    }, 300_000)
  }

  it('bad values exit 2 with one line naming the mismatch, and store nothing', () => {
    const fresh = join(dir, 'fresh.onnx')
    copyFileSync(join(root, 'resources/models/ghostnet.onnx'), fresh)
    const nineLabels = join(dir, 'nine.txt')
    writeFileSync(nineLabels, Array.from({ length: 9 }, (_, i) => `class ${i}`).join('\n'))
    const cases: [string[], RegExp][] = [
      [['--mean', '0.1,0.2,0.3'], /mean has 3 values but input 'input' \[N, 1, 28, 28\] takes 1 channel/],
      [['--preset', 'imagenet-ish'], /Unknown preset 'imagenet-ish'/],
      [['--labels', nineLabels], /label file has 9 names but output 'logits' \[N, 10\] gives 10 scores/],
      [['--layout', 'nhwc'], /Layout NHWC does not fit input 'input' \[N, 1, 28, 28\]/],
    ]
    for (const [flags, message] of cases) {
      const r = cli('model', 'set', fresh, ...flags)
      expect(r.status, r.stderr).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(message)
    }
    // Not imported by any of them (refused before the row was written).
    expect(models().map((m) => m.name)).not.toContain('fresh')
    // The same on eval: a refused flag leaves no run behind.
    const before = cli('runs', 'list', '--json')
    const r = cli('eval', fresh, '--dataset', 'fashion-mnist', '--std', '1,2')
    expect(r.status).toBe(2)
    expect(cli('runs', 'list', '--json').stdout).toBe(before.stdout)
  }, 300_000)

  it('model set stores the values; eval and variants use them; models list shows figures and lineage', () => {
    const card = cardOf('resnet8')
    const path = copyOf('resnet8') // already imported above, card-less
    const set = cli('model', 'set', 'my-resnet8', ...cardFlags(card), '--dataset', 'fashion-mnist', '--json')
    expect(set.status, set.stderr).toBe(0)
    const m = JSON.parse(set.stdout) as ModelInfo
    expect(m.preprocessing).toMatchObject({ source: 'user', dataset: 'fashion-mnist', settings: { mean: card.preprocessing.mean } })
    const ev = cli('eval', path, '--limit', '500', '--json')
    expect(ev.status, ev.stderr).toBe(0)
    expect((JSON.parse(ev.stdout) as { preprocessing: { source: string; mean: number[] } }).preprocessing).toMatchObject({ source: 'user', mean: card.preprocessing.mean })
    const q = cli('quantize', path, '--mode', 'fp16', '-o', join(dir, 'my-resnet8-fp16.onnx'), '--json')
    expect(q.status, q.stderr).toBe(0)
    const list = models()
    const parent = list.find((x) => x.name === 'my-resnet8')
    const variant = list.find((x) => x.parentId === parent?.id)
    expect(variant).toBeDefined()
    // Figures from the moment it exists, and the parent's preprocessing, inherited.
    expect(variant?.params).toBeGreaterThan(0)
    expect(variant?.macs).toBeGreaterThan(0)
    expect(variant?.fileBytes).toBeGreaterThan(0)
    expect(variant?.preprocessing).toMatchObject({ inheritedFrom: 'my-resnet8', source: 'user' })
    const text = cli('models', 'list')
    expect(text.stdout).toMatch(/my-resnet8-fp16 +fp16 +my-resnet8/)
    expect(text.stdout).toMatch(/mean 0\.286/)
  }, 300_000)

  it('eval --detect-preprocessing ranks the guesses, says it is a guess, and evaluates with the best', () => {
    const path = copyOf('condensenext')
    const r = cli('eval', path, '--dataset', 'fashion-mnist', '--limit', '1000', '--detect-preprocessing', '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as {
      top1: number
      preprocessing: { source: string }
      detection: { guess: boolean; samples: number; candidates: { label: string; top1: number }[] }
    }
    expect(out.detection.guess).toBe(true)
    expect(out.detection.samples).toBe(200)
    expect(out.detection.candidates.length).toBeGreaterThanOrEqual(3)
    expect(out.detection.candidates[0]?.label).toMatch(/fashion-mnist mean\/std/)
    expect(out.preprocessing.source).toBe('detected')
    expect(out.top1).toBeGreaterThan(0.8)
  }, 300_000)
})
