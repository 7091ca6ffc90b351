/**
 * The fuzz and fault campaign in its small mode (`npm run fuzz` without --long), fixed seed:
 * model mutants, hostile datasets, hostile HTTP and WebSocket traffic against `edgebench serve`,
 * bad serial boards. Zero crashes, hangs, lost records, impossible figures or multi-line
 * refusals; no single hostile input costs 1 GiB of memory.
 */
import { describe, expect, it } from 'vitest'
import { FAILURE_VERDICTS, MEMORY_LIMIT_BYTES, runCampaign } from '../../tools/fuzz/campaign.js'

describe('fuzz campaign (small, seed 14)', () => {
  it('nothing crashes, hangs or loses data; refusals are one line; memory stays under 1 GiB', async () => {
    const reports = await runCampaign({ seed: 14, mode: 'small' })
    for (const r of reports) {
      expect(r.cases, r.part).toBeGreaterThan(0)
      for (const v of FAILURE_VERDICTS) expect(r.counts[v], `${r.part} ${v}: ${JSON.stringify(r.failures.slice(0, 3))}`).toBe(0)
      expect(r.peakRssBytes, r.part).toBeLessThan(MEMORY_LIMIT_BYTES)
      // Both outcomes occur: the corpus is hostile, but it is not all rejected at the door.
      expect(r.counts.refused, r.part).toBeGreaterThan(0)
      expect(r.counts.accepted, r.part).toBeGreaterThan(0)
    }
  }, 300_000)
})
