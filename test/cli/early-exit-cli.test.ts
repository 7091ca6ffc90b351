/** `edgebench early-exit` as a user runs it: a real process, a real database file, real models. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin/edgebench.mjs')
const ee = join(root, 'resources/models/resnet8-ee.onnx')
const quick = ['--min-runs', '20', '--min-ms', '20', '--warmup-runs', '2', '--warmup-ms', '10']

let dir: string

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--db', join(dir, 'studio.db'), ...args], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 240_000,
  })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-ee-cli-'))
})

describe('edgebench early-exit', { timeout: 300_000 }, () => {
  it('--json gives exits with MACs, fullMacs and one point per threshold (fractions 0–1)', () => {
    const r = cli(
      'early-exit',
      ee,
      '--dataset',
      'fashion-mnist',
      '--limit',
      '200',
      '--thresholds',
      '0.6,0.9,1',
      '--json',
      ...quick,
    )
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as {
      exits: { name: string; macs: number }[]
      fullMacs: number
      points: {
        threshold: number
        top1: number
        exitRate: number
        exitRates: Record<string, number>
        avgMacs: number
        latencyUs: { mean: number; p50: number; p90: number }
      }[]
    }
    expect(out.exits).toEqual([{ name: 'exit1', macs: 3854464, top1: expect.any(Number) }])
    expect(out.fullMacs).toBe(9474816)
    expect(out.points.map((p) => p.threshold)).toEqual([0.6, 0.9, 1])
    for (const p of out.points) {
      for (const f of [p.top1, p.exitRate, p.exitRates.exit1]) expect(f).toBeGreaterThanOrEqual(0)
      for (const f of [p.top1, p.exitRate, p.exitRates.exit1]) expect(f).toBeLessThanOrEqual(1)
      expect(p.exitRates.exit1).toBe(p.exitRate)
      expect(p.avgMacs).toBeGreaterThanOrEqual(out.exits[0]?.macs as number)
      expect(p.avgMacs).toBeLessThanOrEqual(out.fullMacs)
      expect(Object.keys(p.latencyUs).sort()).toEqual(['mean', 'p50', 'p90'])
    }
    expect(out.points.at(-1)).toMatchObject({ exitRate: 0, avgMacs: out.fullMacs })
  })

  it('prints a table and the operating point without --json', () => {
    const r = cli('early-exit', ee, '--limit', '100', '--thresholds', '0.5,1', ...quick)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/exit exit1: 3\.85 M MACs/)
    expect(r.stdout).toMatch(/threshold\s+top-1\s+exit rate\s+avg MACs\s+mean\s+p50\s+p90/)
    expect(r.stdout).toMatch(/split verified on 100 samples/)
  })

  for (const [what, args, pattern] of [
    [
      'a model with one output',
      [join(root, 'resources/models/resnet8.onnx')],
      /resnet8 has one output \(logits\)/,
    ],
    ['an exit that does not exist', [ee, '--exit', 'exit7'], /no output named 'exit7'/],
    ['a threshold above 1', [ee, '--thresholds', '0.5,1.2'], /Threshold 1\.2 is outside \[0, 1\]/],
    ['a threshold below 0', [ee, '--thresholds', '-0.5'], /Threshold -0\.5 is outside \[0, 1\]/],
    ['a threshold that is not a number', [ee, '--thresholds', '0.5,high'], /'high' is not one/],
    ['an unknown rule', [ee, '--rule', 'margin'], /Unknown exit rule 'margin'/],
  ] as const) {
    it(`bad input: ${what} → exit 2 with one line`, () => {
      const r = cli('early-exit', ...args, '--limit', '10', ...quick)
      expect(r.status).toBe(2)
      const lines = r.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^edgebench: BAD_INPUT: /)
      expect(lines[0]).toMatch(pattern)
      expect(r.stdout).toBe('')
    })
  }
})
