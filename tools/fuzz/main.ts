/**
 * `npm run fuzz [-- --long] [--seed N] [--parts models,datasets,http,serial] [--verbose]`: the campaign, then
 * its counts. Exits 1 when any input crashed, hung, lost data, produced an impossible figure, was
 * refused with more than one line, or cost more than 1 GiB of memory.
 */
import { FAILURE_VERDICTS, formatReport, MEMORY_LIMIT_BYTES, PARTS, runCampaign, type Part } from './campaign.js'

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const mode = args.includes('--long') ? 'long' : 'small'
const seed = Number(flag('--seed') ?? 14)
const parts = (flag('--parts')?.split(',') ?? [...PARTS]) as Part[]
for (const p of parts) if (!PARTS.includes(p)) throw new Error(`unknown part '${p}'; parts: ${PARTS.join(', ')}`)

const reports = await runCampaign({ seed, mode, parts, verbose: args.includes('--verbose'), log: (l) => console.error(l) })
console.log(`\nfuzz campaign, ${mode} mode, seed ${seed}`)
console.log(formatReport(reports))
let bad = 0
for (const r of reports) {
  for (const f of r.failures) {
    bad++
    console.log(`\n${r.part} ${f.verdict}: ${f.what}\n  ${f.detail ?? ''}`)
  }
  if (r.peakRssBytes > MEMORY_LIMIT_BYTES) {
    bad++
    console.log(`\n${r.part}: peak RSS ${(r.peakRssBytes / 1024 ** 2).toFixed(0)} MiB is above 1 GiB`)
  }
}
const totals = (v: (typeof FAILURE_VERDICTS)[number]): number => reports.reduce((s, r) => s + r.counts[v], 0)
console.log(`\ncrashes ${totals('crash')}, hangs ${totals('hang')}, data lost ${totals('lost')}, bad figures ${totals('bad-figure')}, bad refusals ${totals('bad-refusal')}`)
process.exitCode = bad > 0 ? 1 : 0
