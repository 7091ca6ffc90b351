/**
 * The report's results table (grouped by lineage, one warning marker per row with a footnote),
 * the warnings' footnotes and the environment of every device, as HTML strings. Every
 * user-controlled text goes through escapeHtml; numbers carry their raw value in data-v so the sort
 * script orders by value.
 */
import {
  formatAccuracy,
  formatBytes,
  formatCount,
  formatDuration,
  formatInteger,
  formatPercent,
  MISSING,
} from '../../common/format.js'
import type { DeviceInfo } from '../../common/types.js'
import { signedPoints } from './chart-data.js'
import { escapeHtml } from './html-escape.js'
import type { ReportRow } from './rows.js'

/** CV above which a latency figure is flagged (docs/measurement.md § Noise warnings). */
const NOISY_CV = 0.1

const HEADERS: readonly { label: string; title: string; num?: boolean }[] = [
  { label: 'Model', title: 'Model or variant; variants sit under the model they were derived from' },
  { label: 'Variant', title: 'Variant kind and recipe' },
  { label: 'Device', title: 'Where the model ran' },
  { label: 'p50 (p90)', title: 'Median latency of one batch-1 inference, with the 90th percentile', num: true },
  { label: '± CI', title: 'Half-width of the bootstrap 95 % confidence interval of the median', num: true },
  { label: 'Speed-up', title: "Parent's median / this median, same device (> 1 = faster)", num: true },
  { label: 'Top-1', title: 'Top-1 accuracy with dataset split and sample count', num: true },
  { label: 'Δ top-1', title: "This top-1 minus the parent's, in percentage points", num: true },
  { label: 'File size', title: 'Model file size on disk (gzip size in the tooltip)', num: true },
  { label: 'Size ratio', title: "This file size / the parent's", num: true },
  {
    label: 'Memory',
    title: 'Peak RSS measured (computers, boards) or static peak activations (MCUs, marked "act.")',
    num: true,
  },
  { label: 'MACs', title: 'Multiply-accumulates per inference', num: true },
  { label: 'Notes', title: 'Warnings: why a figure may mislead (see Warnings below)' },
]

export const TABLE_COLUMNS = HEADERS.length

function attr(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : ` ${name}="${escapeHtml(String(value))}"`
}

function numCell(value: number | undefined, html: string, title?: string): string {
  if (value === undefined || !Number.isFinite(value)) return `<td class="num missing">${MISSING}</td>`
  return `<td class="num"${attr('data-v', value)}${attr('title', title)}>${html}</td>`
}

function latencyCell(r: ReportRow): string {
  const p90 =
    r.latencyP90Us !== undefined ? ` <span class="sub">(${escapeHtml(formatDuration(r.latencyP90Us))})</span>` : ''
  return numCell(r.latencyP50Us, `${escapeHtml(formatDuration(r.latencyP50Us))}${p90}`)
}

function ciCell(r: ReportRow): string {
  const ci = r.latencyCi95
  if (!ci) return numCell(undefined, '')
  const half = (ci[1] - ci[0]) / 2
  const title = `95 % CI of the median: ${formatDuration(ci[0])} – ${formatDuration(ci[1])}`
  return numCell(half, `± ${escapeHtml(formatDuration(half))}`, title)
}

/** "Fashion-MNIST test · 10,000": the dataset and count an accuracy figure belongs to. */
function accuracyContext(r: ReportRow): string {
  const parts: string[] = []
  if (r.dataset) parts.push(r.dataset)
  if (r.evalCount !== undefined) parts.push(formatInteger(r.evalCount))
  return parts.join(' · ')
}

/**
 * When every accuracy in the table shares one dataset and count, they are named once in the header
 * (a dense table); otherwise each cell names its own.
 */
function sharedAccuracyContext(rows: readonly ReportRow[]): string | undefined {
  const contexts = new Set(rows.filter((r) => r.top1 !== undefined).map(accuracyContext))
  const [only] = contexts
  return contexts.size === 1 && only ? only : undefined
}

function accuracyCell(r: ReportRow, shared: string | undefined): string {
  if (r.top1 === undefined) return numCell(undefined, '')
  const context = accuracyContext(r)
  const title = [formatAccuracy(r.top1, r.dataset, r.evalCount)]
  if (r.top5 !== undefined) title.push(`top-5 ${formatPercent(r.top5)}`)
  const sub = shared === undefined && context ? `<span class="sub"> · ${escapeHtml(context)}</span>` : ''
  return numCell(r.top1, `${formatPercent(r.top1)}${sub}`, title.join(' · '))
}

function deviceCell(r: ReportRow, color: string | undefined): string {
  const swatch = color ? `<span class="swatch" style="background:${escapeHtml(color)}"></span>` : ''
  const kind = r.deviceKind
    ? ` <span class="tag">${r.deviceKind === 'local' ? 'host' : escapeHtml(r.deviceKind)}</span>`
    : ''
  const threads = r.threads !== undefined ? ` title="${r.threads} thread${r.threads === 1 ? '' : 's'}"` : ''
  return `<td${threads}>${swatch}${escapeHtml(r.device)}${kind}</td>`
}

function modelCell(r: ReportRow): string {
  if (!r.parent) return `<td class="model">${escapeHtml(r.model)}</td>`
  return `<td class="model variant"${attr('title', `derived from ${r.parent}`)}><span class="lineage" aria-hidden="true">↳ </span>${escapeHtml(r.model)}</td>`
}

function variantCell(r: ReportRow): string {
  const recipe = r.recipe ? `<span class="recipe">${escapeHtml(r.recipe)}</span>` : ''
  return `<td class="variant-kind">${escapeHtml(r.variant)}${recipe}</td>`
}

function memoryCell(r: ReportRow): string {
  const act = r.memorySource === 'activations'
  const sub = act ? ' <span class="sub">act.</span>' : ''
  const title = act ? 'static peak of live activations (graph)' : 'peak RSS measured'
  return numCell(r.memoryBytes, `${escapeHtml(formatBytes(r.memoryBytes))}${sub}`, title)
}

/** Every warning of a row, the noisy-CV flag included (once, if a bench warning says it already). */
export function rowWarnings(r: ReportRow): string[] {
  const out = [...r.warnings]
  const mentionsNoise = r.warnings.some((w) => /nois|\bcv\b/i.test(w))
  if (r.cv !== undefined && r.cv > NOISY_CV && !mentionsNoise) {
    out.unshift(`noisy (CV ${formatPercent(r.cv, 0)}): repeat on an idle machine before trusting small differences`)
  }
  return out
}

function warningCell(r: ReportRow, note: number | undefined): string {
  const ws = rowWarnings(r)
  if (ws.length === 0 || note === undefined) return '<td class="notes"></td>'
  const label = `${ws.length} warning${ws.length === 1 ? '' : 's'}: ${ws.join('; ')}`
  return `<td class="notes"><a class="wmark" href="#note-${note}"${attr('title', ws.join('\n'))}${attr('aria-label', label)}>⚠<sup>${note}</sup></a></td>`
}

function rowHtml(r: ReportRow, colors: ReadonlyMap<string, string>, sharedAcc: string | undefined, note: number | undefined): string {
  const gzip = r.gzipBytes !== undefined ? `gzip ${formatBytes(r.gzipBytes)}` : undefined
  const delta = r.top1Delta !== undefined ? escapeHtml(signedPoints(r.top1Delta)) : ''
  return [
    `<tr class="result"${attr('data-group', r.group)}>`,
    modelCell(r),
    variantCell(r),
    deviceCell(r, colors.get(r.device)),
    latencyCell(r),
    ciCell(r),
    numCell(r.speedup, r.speedup !== undefined ? `${r.speedup.toFixed(2)}×` : ''),
    accuracyCell(r, sharedAcc),
    numCell(r.top1Delta, delta),
    numCell(r.fileBytes, escapeHtml(formatBytes(r.fileBytes)), gzip),
    numCell(r.sizeRatio, r.sizeRatio !== undefined ? formatPercent(r.sizeRatio, 0) : ''),
    memoryCell(r),
    numCell(r.macs, escapeHtml(formatCount(r.macs))),
    warningCell(r, note),
    '</tr>',
  ].join('')
}

/** Footnote numbers of the rows that have warnings, in table order (1, 2, …). */
export function warningNotes(rows: readonly ReportRow[]): Map<ReportRow, number> {
  const notes = new Map<ReportRow, number>()
  for (const r of rows) if (rowWarnings(r).length > 0) notes.set(r, notes.size + 1)
  return notes
}

/** The results table, grouped by lineage; header buttons sort by column (the inline script wires them). */
export function renderTable(rows: readonly ReportRow[], colors: ReadonlyMap<string, string>): string {
  if (rows.length === 0) {
    return '<p class="empty">No results selected — run a benchmark, then export its rows.</p>'
  }
  const sharedAcc = sharedAccuracyContext(rows)
  const notes = warningNotes(rows)
  const head = HEADERS.map((h, i) => {
    const sub = h.label === 'Top-1' && sharedAcc ? `<span class="th-sub">${escapeHtml(sharedAcc)}</span>` : ''
    return `<th scope="col"${h.num ? ' class="num"' : ''}${attr('title', h.title)}><button type="button" data-col="${i}">${escapeHtml(h.label)}</button>${sub}</th>`
  }).join('')
  const lines: string[] = []
  let current: string | undefined
  for (const r of rows) {
    // A header row per lineage only where there is one to show (a lone model needs none).
    if (r.group !== current && rows.filter((x) => x.group === r.group).length > 1) {
      current = r.group
      const n = rows.filter((x) => x.group === r.group).length
      lines.push(`<tr class="group"><th scope="rowgroup" colspan="${HEADERS.length}">${escapeHtml(r.group)} <span class="sub">· ${n} row${n === 1 ? '' : 's'}</span></th></tr>`)
    }
    lines.push(rowHtml(r, colors, sharedAcc, notes.get(r)))
  }
  return `<div class="table-wrap"><table id="results"><caption class="sr-only">Every result row; sort by a column with its header button</caption><thead><tr>${head}</tr></thead>\n<tbody>\n${lines.join('\n')}\n</tbody></table></div>`
}

/** The warnings' footnotes, numbered as the table's markers. */
export function renderWarnings(rows: readonly ReportRow[]): string {
  const notes = warningNotes(rows)
  if (notes.size === 0) return ''
  const items = [...notes].map(
    ([r, n]) =>
      `<li id="note-${n}" value="${n}"><strong>${escapeHtml(r.model)} · ${escapeHtml(r.device)}</strong>: ${rowWarnings(r).map(escapeHtml).join('; ')}</li>`,
  )
  return `<section class="notes-list"><h2>Warnings</h2><ol>${items.join('')}</ol></section>`
}

function envItems(env: DeviceInfo): [string, string][] {
  const items: [string, string][] = [
    ['Device', `${env.name} (${env.kind === 'local' ? 'host' : env.kind})`],
    ['CPU', `${env.cpuModel} · ${env.cores} cores · ${env.arch}`],
    ['RAM', formatBytes(env.ramBytes)],
    ['OS', env.os],
    ['Runtime', `${env.runtime} ${env.runtimeVersion}`],
  ]
  if (env.governor) items.push(['Governor', env.governor])
  if (env.nodeVersion) items.push(['Node.js', env.nodeVersion])
  if (env.temperatureC !== null) items.push(['Temperature', `${env.temperatureC.toFixed(0)} °C`])
  if (env.loadAverage?.[0] !== undefined) items.push(['Load (1 min)', env.loadAverage[0].toFixed(2)])
  return items
}

/** The environment of every device in the report, one block each; empty when none is known. */
export function renderEnvs(envs: readonly DeviceInfo[]): string {
  if (envs.length === 0) return ''
  const blocks = envs.map((env) => {
    const dl = envItems(env)
      .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
      .join('')
    return `<div class="env-device"><h3>${escapeHtml(env.name)}</h3><dl>${dl}</dl></div>`
  })
  return `<section class="env"><h2>Environment</h2><div class="env-grid">${blocks.join('')}</div></section>`
}
