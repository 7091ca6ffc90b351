/**
 * The report's early-exit section: for each model in the report that has a measured sweep (or
 * whose parent has, for operating points added to Explore), the newest sweep per device — the
 * exits, the full model, the cheapest threshold within one point and a table of every threshold.
 */
import type { EarlyExitResult } from '../../common/early-exit.js'
import { formatCount, formatDuration, formatPercent } from '../../common/format.js'
import type { RunRecord } from '../../common/types.js'
import type { Store } from '../store/store.js'
import { escapeHtml } from './html-escape.js'

/** The newest sweep per (model, device) of the runs' models and of their early-exit parents. */
export function sweepsForRuns(store: Store, runs: readonly RunRecord[]): EarlyExitResult[] {
  const models = new Set<number>()
  for (const r of runs) {
    models.add(r.modelId)
    const m = store.getModel(r.modelId)
    if (m?.recipe?.method === 'early-exit' && m.parentId !== null) models.add(m.parentId)
  }
  const out: EarlyExitResult[] = []
  for (const id of [...models].sort((a, b) => a - b)) {
    const seen = new Set<string>()
    for (const s of store.listEarlyExits(id)) {
      if (seen.has(s.device)) continue
      seen.add(s.device)
      out.push(s)
    }
  }
  return out
}

const saving = (x: number, full: number): string => formatPercent(1 - x / full, 1)

function renderSweep(s: EarlyExitResult): string {
  const rule =
    s.rule === 'maxprob' ? 'stop when the max softmax ≥ t' : 'stop when the entropy ÷ ln(classes) ≤ t'
  const exits = s.exits
    .map(
      (e) =>
        `${escapeHtml(e.name)} after ${formatCount(e.macs)} MACs (top-1 alone ${formatPercent(e.top1, 2)})`,
    )
    .join('; ')
  const worst = Math.max(...Object.values(s.verify.maxAbsDiff))
  const op = s.operatingPoint
  const best = op
    ? `Cheapest threshold within one point of the full model: <strong>t = ${op.threshold}</strong> (top-1 ${formatPercent(op.top1, 2)}): average MACs −${formatPercent(op.macsSaving, 1)}, measured mean latency ${op.latencySaving >= 0 ? '−' : '+'}${formatPercent(Math.abs(op.latencySaving), 1)}.`
    : 'No threshold keeps top-1 within one point of the full model.'
  const rows = s.points
    .map(
      (p) =>
        `<tr><th scope="row">${p.threshold}${op?.threshold === p.threshold ? ' ★' : ''}</th><td class="num">${formatPercent(p.top1, 2)}</td><td class="num">${formatPercent(p.exitRate, 1)}</td><td class="num">${formatCount(p.avgMacs)}</td><td class="num">${saving(p.avgMacs, s.fullMacs)}</td><td class="num">${formatDuration(p.latencyUs.mean)}</td><td class="num">${formatDuration(p.latencyUs.p50)}</td><td class="num">${formatDuration(p.latencyUs.p90)}</td><td class="num">${saving(p.latencyUs.mean, s.full.latencyUs.mean)}</td></tr>`,
    )
    .join('')
  const head = ['t', 'Top-1', 'Exit rate', 'Avg MACs', 'MACs saved', 'Mean', 'p50', 'p90', 'Latency saved']
    .map((h) => `<th scope="col">${h}</th>`)
    .join('')
  return [
    `<h3>${escapeHtml(s.model)} on ${escapeHtml(s.device)}</h3>`,
    `<p>${escapeHtml(s.dataset)} ${escapeHtml(s.split)}, ${s.count.toLocaleString('en-US')} samples; ${rule}. Exits: ${exits}. Full model (${escapeHtml(s.final)}): ${formatCount(s.fullMacs)} MACs, top-1 ${formatPercent(s.fullTop1, 2)}, mean ${formatDuration(s.full.latencyUs.mean)} unsplit. The model cut at its exits reproduced its outputs on every sample (max difference ${worst.toExponential(1)}).</p>`,
    `<p>${best}</p>`,
    `<table class="early-exit"><caption>Early exit of ${escapeHtml(s.model)}: one row per threshold; latency measured with the real control flow on ${escapeHtml(s.device)}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`,
  ].join('\n')
}

/** The section, or '' when no model of the report has a sweep. */
export function renderEarlyExitSection(sweeps: readonly EarlyExitResult[]): string {
  if (sweeps.length === 0) return ''
  return `<section><h2>Early exit</h2><p>Average MACs = p·MACs(exit) + (1 − p)·MACs(full model with its exit heads); latency is the mean over samples timed with the real control flow (run up to the exit, stop when confident, else run on), interleaved with the unsplit model (docs/measurement.md § Early exit).</p>${sweeps.map(renderSweep).join('\n')}</section>`
}
