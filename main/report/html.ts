/**
 * The HTML report: ONE file that opens anywhere, offline, years later — styles, Chart.js, data and
 * script all inline, nothing fetched. A Content-Security-Policy pins the two inline scripts by hash,
 * so even a name that slipped past escaping could not run code. It prints as it reads: every row,
 * charts as images, a page per section (and the PDF export is this page printed by Chromium).
 */
import { createHash } from 'node:crypto'
import { formatInteger, formatLocalTime } from '../../common/format.js'
import { markerSvg } from '../../common/markers.js'
import type { DeviceInfo } from '../../common/types.js'
import { buildChartData, deviceColors, type ChartData, type SkippedRow, type TradeoffChart } from './chart-data.js'
import { chartJsSource } from './chartjs-source.js'
import { escapeHtml, inlineScriptSafe, jsonForScript } from './html-escape.js'
import { REPORT_SCRIPT } from './html-script.js'
import { REPORT_CSS } from './html-style.js'
import { renderEnvs, renderTable, renderWarnings } from './html-table.js'
import { renderEarlyExitSection } from './early-exit.js'
import type { EarlyExitResult } from '../../common/early-exit.js'
import { orderByLineage, type ReportRow } from './rows.js'
import { toolVersion } from './tool-version.js'

/** What the HTML report needs besides the rows. */
export interface HtmlMeta {
  title: string
  /** ISO 8601 time the report was made. */
  generatedAt: string
  /** The machine that made the report; shown with the devices' own environments. */
  env?: DeviceInfo
  /** The environment each device reported (one block per device). */
  envs?: DeviceInfo[]
  /** The studio's version; read from package.json when absent. */
  version?: string
  /** IANA zone for the times shown; default: this machine's. */
  timeZone?: string
  /** Early-exit sweeps of the report's models (main/report/early-exit.ts). */
  earlyExit?: readonly EarlyExitResult[]
}

/** The data block embedded in the report (`<script type="application/json" id="report-data">`). */
export interface EmbeddedReportData {
  title: string
  generatedAt: string
  version: string
  rows: ReportRow[]
  chart: ChartData
}

function cspHash(script: string): string {
  return `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`
}

function skippedNote(skipped: readonly SkippedRow[]): string {
  if (skipped.length === 0) return ''
  const list = skipped.map((s) => `${escapeHtml(s.model)} on ${escapeHtml(s.device)} (${escapeHtml(s.reason)})`).join(', ')
  const n = skipped.length
  return `<p class="skipped">${n} row${n === 1 ? ' is' : 's are'} in the table but not plotted here: ${list}.</p>`
}

/** The legend with the real markers: a swatch per device, the family markers, the front. */
function legend(chart: TradeoffChart, data: ChartData): string {
  const devices = chart.series.map(
    (s) => `<li><span class="swatch" style="background:${escapeHtml(s.color)}"></span>${escapeHtml(s.device)}</li>`,
  )
  const used = new Set(chart.series.flatMap((s) => s.points.map((p) => p.shape)))
  const families = data.families
    .filter((f) => used.has(f.shape))
    .map((f) => `<li>${markerSvg(f.shape, 'currentColor', 'currentColor')}${escapeHtml(f.name)}</li>`)
  return `<ul class="legend" aria-label="Legend">${devices.join('')}${families.length > 1 ? families.join('') : ''}<li><span class="front-key"></span>Pareto front</li></ul>`
}

function renderChart(chart: TradeoffChart, data: ChartData): string {
  const plotted = chart.series.reduce((n, s) => n + s.points.length, 0)
  const id = `chart-${chart.id}`
  const label = `${chart.title}: top-1 accuracy against ${chart.xTitle}, one colour per device, labelled points; the Results table holds the same figures`
  const body =
    plotted === 0
      ? `<p class="empty">Nothing to plot: no row has both a ${escapeHtml(chart.xTitle)} and a top-1 accuracy.</p>`
      : `<div class="chart-box"><canvas id="${id}" role="img" aria-label="${escapeHtml(label)}"></canvas></div><img class="chart-img" alt="${escapeHtml(label)}" data-for="${id}">`
  const caption =
    plotted === 0
      ? ''
      : `${legend(chart, data)}<p>Each marker is one variant on one device. The step line is each device's Pareto front: no other variant on that device costs less and is more accurate; dominated variants are faded.</p>${chart.note ? `<p>${escapeHtml(chart.note)}</p>` : ''}`
  return `<figure class="chart" data-chart-id="${chart.id}" data-chart="${plotted === 0 ? 'empty' : 'pending'}"><h3>${escapeHtml(chart.title)}</h3>${body}<figcaption>${caption}${skippedNote(chart.skipped)}</figcaption></figure>`
}

function header(rows: readonly ReportRow[], meta: HtmlMeta): string {
  const devices = new Set(rows.map((r) => r.device)).size
  const version = meta.version ? ` · EdgeBench Studio ${escapeHtml(meta.version)}` : ' · EdgeBench Studio'
  const counts = `${formatInteger(rows.length)} row${rows.length === 1 ? '' : 's'} · ${devices} device${devices === 1 ? '' : 's'}`
  const when = escapeHtml(formatLocalTime(meta.generatedAt, meta.timeZone))
  return `<header><h1>${escapeHtml(meta.title)}</h1><p class="meta">Generated <time datetime="${escapeHtml(meta.generatedAt)}">${when}</time>${version} · ${counts}</p></header>`
}

/** The devices' environments, the report machine's own added when it is not one of them. */
function allEnvs(meta: HtmlMeta): DeviceInfo[] {
  const envs = [...(meta.envs ?? [])]
  if (meta.env && !envs.some((e) => e.name === meta.env?.name)) envs.push(meta.env)
  return envs
}

function measuredSpan(rows: readonly ReportRow[], timeZone: string | undefined): string {
  const times = rows.map((r) => r.measuredAt).filter((t): t is string => !!t).sort()
  const first = times[0]
  const last = times.at(-1)
  if (!first || !last) return ''
  const span = first === last ? formatLocalTime(first, timeZone) : `${formatLocalTime(first, timeZone)} – ${formatLocalTime(last, timeZone)}`
  return `<p class="meta">Measured ${escapeHtml(span)}</p>`
}

/** Renders the self-contained HTML report (trade-off charts, grouped table, warnings, environments). */
export async function toHTML(given: readonly ReportRow[], meta: HtmlMeta): Promise<string> {
  const rows = orderByLineage(given)
  const chart = buildChartData(rows)
  const version = meta.version ?? toolVersion()
  const data: EmbeddedReportData = { title: meta.title, generatedAt: meta.generatedAt, version, rows: [...rows], chart }
  const chartJs = inlineScriptSafe(await chartJsSource())
  const app = inlineScriptSafe(REPORT_SCRIPT)
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(chartJs)} ${cspHash(app)}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')
  const charts = chart.charts.map((c) => renderChart(c, chart)).join('')
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Not escaped: the policy is ours alone (keywords and base64 hashes), with no '"', '<' or '&'.
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="EdgeBench Studio">',
    `<title>${escapeHtml(meta.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    header(rows, { ...meta, version }),
    `<section class="tradeoffs"><h2>Trade-offs</h2>${charts}</section>`,
    `<section class="results"><h2>Results</h2>${measuredSpan(rows, meta.timeZone)}${renderTable(rows, deviceColors(rows))}</section>`,
    renderWarnings(rows),
    renderEarlyExitSection(meta.earlyExit ?? []),
    renderEnvs(allEnvs(meta)),
    '<footer>Latency: batch 1, median (p50) with p90 in brackets; ± is half the bootstrap 95 % CI of the median. Speed-up, Δ top-1 and size ratio compare a variant with the model it was derived from (latency on the same device). Sizes use 1024 steps. Definitions: docs/measurement.md.</footer>',
    '</main>',
    `<script type="application/json" id="report-data">${jsonForScript(data)}</script>`,
    `<script>${chartJs}</script>`,
    `<script>${app}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
