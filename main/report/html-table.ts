/**
 * The report's summary table and environment block, as HTML strings. Every user-controlled text goes
 * through escapeHtml; numbers carry their raw value in data-v so the sort script orders by value.
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
import { escapeHtml } from './html-escape.js'
import type { ReportRow } from './rows.js'

/** CV above which a latency figure is flagged (docs/measurement.md § Noise warnings). */
const NOISY_CV = 0.1

const HEADERS: readonly { label: string; title: string; num?: boolean }[] = [
  { label: 'Model', title: 'Model file or variant name' },
  { label: 'Family', title: 'Architecture family' },
  { label: 'Variant', title: 'Variant kind: fp32, fp16, int8, pruned, …' },
  { label: 'Device', title: 'Where the model ran' },
  {
    label: 'p50 (p90)',
    title: 'Median latency of one batch-1 inference, with the 90th percentile',
    num: true,
  },
  { label: '± CI', title: 'Half-width of the bootstrap 95 % confidence interval of the median', num: true },
  {
    label: 'Peak RSS',
    title: 'Peak RSS (measured): runner peak minus its peak before the session',
    num: true,
  },
  { label: 'File size', title: 'Model file size on disk (gzip size in the tooltip)', num: true },
  { label: 'Params', title: 'Weight and bias elements', num: true },
  { label: 'MACs', title: 'Multiply-accumulates per inference', num: true },
  { label: 'Top-1', title: 'Top-1 accuracy with dataset split and sample count', num: true },
  { label: 'Warnings', title: 'Why a figure may mislead' },
]

function attr(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : ` ${name}="${escapeHtml(String(value))}"`
}

function textCell(text: string | undefined): string {
  return text ? `<td>${escapeHtml(text)}</td>` : `<td class="missing">${MISSING}</td>`
}

function numCell(value: number | undefined, html: string, title?: string): string {
  if (value === undefined || !Number.isFinite(value)) return `<td class="num missing">${MISSING}</td>`
  return `<td class="num"${attr('data-v', value)}${attr('title', title)}>${html}</td>`
}

function latencyCell(r: ReportRow): string {
  const p90 =
    r.latencyP90Us !== undefined
      ? ` <span class="sub">(${escapeHtml(formatDuration(r.latencyP90Us))})</span>`
      : ''
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

function badges(r: ReportRow): string {
  const out: string[] = []
  const mentionsNoise = r.warnings.some((w) => /nois|\bcv\b/i.test(w))
  if (r.cv !== undefined && r.cv > NOISY_CV && !mentionsNoise) {
    const title =
      'Coefficient of variation above 10 %: repeat on an idle machine before trusting small differences.'
    out.push(`<span class="badge"${attr('title', title)}>noisy (CV ${formatPercent(r.cv, 0)})</span>`)
  }
  for (const w of r.warnings) out.push(`<span class="badge"${attr('title', w)}>${escapeHtml(w)}</span>`)
  return `<td class="warnings">${out.join(' ')}</td>`
}

function rowHtml(r: ReportRow, colors: ReadonlyMap<string, string>, sharedAcc: string | undefined): string {
  const gzip = r.gzipBytes !== undefined ? `gzip ${formatBytes(r.gzipBytes)}` : undefined
  return [
    '<tr>',
    `<td class="model">${escapeHtml(r.model)}</td>`,
    textCell(r.family),
    r.recipe ? `<td${attr('title', `${r.recipe}${r.parent ? ` (from ${r.parent})` : ''}`)}>${escapeHtml(r.variant)}<br><small>${escapeHtml(r.recipe)}</small></td>` : textCell(r.variant),
    deviceCell(r, colors.get(r.device)),
    latencyCell(r),
    ciCell(r),
    numCell(r.peakRssBytes, escapeHtml(formatBytes(r.peakRssBytes))),
    numCell(r.fileBytes, escapeHtml(formatBytes(r.fileBytes)), gzip),
    numCell(r.params, escapeHtml(formatCount(r.params))),
    numCell(r.macs, escapeHtml(formatCount(r.macs))),
    accuracyCell(r, sharedAcc),
    badges(r),
    '</tr>',
  ].join('')
}

/** The summary table; header buttons sort by column (the inline script wires them). */
export function renderTable(rows: readonly ReportRow[], colors: ReadonlyMap<string, string>): string {
  if (rows.length === 0) {
    return '<p class="empty">No results selected — run a benchmark, then export its rows.</p>'
  }
  const sharedAcc = sharedAccuracyContext(rows)
  const head = HEADERS.map((h, i) => {
    const sub = h.label === 'Top-1' && sharedAcc ? `<span class="th-sub">${escapeHtml(sharedAcc)}</span>` : ''
    return `<th scope="col"${h.num ? ' class="num"' : ''}${attr('title', h.title)}><button type="button" data-col="${i}">${escapeHtml(h.label)}</button>${sub}</th>`
  }).join('')
  const body = rows.map((r) => rowHtml(r, colors, sharedAcc)).join('\n')
  return `<div class="table-wrap"><table id="results"><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`
}

/** The machine that made the report, as a definition list; empty when unknown. */
export function renderEnv(env: DeviceInfo | undefined): string {
  if (!env) return ''
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
  const dl = items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')
  return `<section class="env"><h2>Environment</h2><dl>${dl}</dl></section>`
}
