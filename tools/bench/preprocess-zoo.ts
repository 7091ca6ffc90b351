/**
 * `npm run bench:preprocess`: the target for every zoo model, run as a user would. Each
 * model is copied without its card (a user's own file), then `edgebench eval` on the full
 * Fashion-MNIST test split (1) without flags — it must carry the chance warning — and (2) with the
 * card's values as CLI flags (--scale --mean --std) — it must reproduce the card's top-1 exactly.
 * Prints one row per model and exits 1 if any model misses either.
 *
 *   npm run bench:preprocess [-- --models resnet8,shufflenetv2]
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const root = resolve(import.meta.dirname, '../..')
const out = (s = ''): void => void process.stdout.write(`${s}\n`)
const { values } = parseArgs({ options: { models: { type: 'string' } } })
const zoo = readdirSync(join(root, 'resources/models')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''))
const models = values.models ? values.models.split(',') : zoo
const dir = mkdtempSync(join(tmpdir(), 'edgebench-bench-preprocess-'))
const db = join(dir, 'studio.db')

interface Card {
  top1: number
  count: number
  preprocessing: { scale: number; mean: number[]; std: number[] }
}
interface Eval {
  top1: number
  count: number
  warnings: string[]
}

function evalCli(path: string, flags: string[]): Eval {
  const r = spawnSync(process.execPath, [join(root, 'bin/edgebench.mjs'), '--db', db, 'eval', path, '--dataset', 'fashion-mnist', ...flags, '--json'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`eval ${path} ${flags.join(' ')} failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as Eval
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`
const rows: string[][] = []
let misses = 0
for (const name of models) {
  const card = JSON.parse(readFileSync(join(root, 'resources/models', `${name}.json`), 'utf8')) as Card
  const copy = join(dir, `copy-of-${name}.onnx`)
  copyFileSync(join(root, 'resources/models', `${name}.onnx`), copy)
  const bare = evalCli(copy, [])
  const flags = ['--scale', String(card.preprocessing.scale), '--mean', card.preprocessing.mean.join(','), '--std', card.preprocessing.std.join(',')]
  const fed = evalCli(copy, flags)
  const warned = bare.warnings.some((w) => w.includes('of chance'))
  const exact = fed.count === card.count && fed.top1.toFixed(4) === card.top1.toFixed(4)
  if (!warned || !exact || fed.warnings.length > 0) misses++
  rows.push([name, pct(bare.top1), warned ? 'yes' : 'NO', pct(fed.top1), pct(card.top1), exact ? 'exact' : 'MISS', flags.slice(2).join(' ')])
}
const head = ['model', 'no flags', 'warned', 'card flags', 'card', 'match', 'flags given (with the card scale)']
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
out(`Zoo models copied without their cards, evaluated by the CLI on the full fashion-mnist test split (${new Date().toISOString()}):`)
out(line(head))
out(line(widths.map((w) => '-'.repeat(w))))
for (const r of rows) out(line(r))
out(misses === 0 ? `All ${rows.length}: chance warning without flags, card top-1 exactly with them.` : `${misses} of ${rows.length} missed.`)
rmSync(dir, { recursive: true, force: true })
process.exitCode = misses === 0 ? 0 : 1
