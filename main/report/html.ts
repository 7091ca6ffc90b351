/**
 * The HTML report: ONE file that opens anywhere, offline, years later — styles, Chart.js, data and
 * script all inline, nothing fetched. A Content-Security-Policy pins the two inline scripts by hash,
 * so even a name that slipped past escaping could not run code.
 */
import { createHash } from 'node:crypto'
import { formatInteger } from '../../common/format.js'
import type { DeviceInfo } from '../../common/types.js'
import { buildChartData, deviceColors, type ChartData, type SkippedRow } from './chart-data.js'
import { chartJsSource } from './chartjs-source.js'
import { escapeHtml, inlineScriptSafe, jsonForScript } from './html-escape.js'
import { REPORT_SCRIPT } from './html-script.js'
import { REPORT_CSS } from './html-style.js'
import { renderEnv, renderTable } from './html-table.js'
import { renderEarlyExitSection } from './early-exit.js'
import type { EarlyExitResult } from '../../common/early-exit.js'
import type { ReportRow } from './rows.js'
import { toolVersion } from './tool-version.js'

/** What the HTML report needs besides the rows. */
export interface HtmlMeta {
  title: string
  /** ISO 8601 time the report was made. */
  generatedAt: string
  env?: DeviceInfo
  /** The studio's version; read from package.json when absent. */
  version?: string
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
  const list = skipped
    .map((s) => `${escapeHtml(s.model)} on ${escapeHtml(s.device)} (${s.reason})`)
    .join(', ')
  const n = skipped.length
  return `<p class="skipped">${n} row${n === 1 ? ' is' : 's are'} in the table but not plotted, for want of a median latency or a top-1 accuracy: ${list}.</p>`
}

function familyNote(chart: ChartData): string {
  if (chart.families.length < 2) return ''
  const shapes = chart.families.map((f) => `${escapeHtml(f.name)} = ${escapeHtml(f.shape)}`).join(', ')
  return `<p>Marker shape by family: ${shapes}.</p>`
}

function renderChart(chart: ChartData): string {
  const plotted = chart.series.reduce((n, s) => n + s.points.length, 0)
  const body =
    plotted === 0
      ? '<p class="empty">Nothing to plot: no row has both a median latency and a top-1 accuracy. Run an evaluation of the benchmarked variants to see the trade-off.</p>'
      : '<div class="chart-box"><canvas id="scatter" role="img" aria-label="Top-1 accuracy against median latency, one colour per device; the table below holds the same figures"></canvas></div>'
  const caption =
    plotted === 0
      ? ''
      : `<p>Each marker is one variant on one device (colour = device). The step line is each device's Pareto front: no other variant on that device is both faster and more accurate; dominated variants are faded. Hover a marker for its figures.</p>${familyNote(chart)}`
  return `<section><h2>Accuracy vs latency</h2><figure id="chart-figure">${body}<figcaption>${caption}${skippedNote(chart.skipped)}</figcaption></figure></section>`
}

/** "2026-01-01 13:05 UTC" for an ISO time; anything else as given. */
function readableTime(iso: string): string {
  const t = new Date(iso)
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

function header(rows: readonly ReportRow[], meta: HtmlMeta): string {
  const devices = new Set(rows.map((r) => r.device)).size
  const version = meta.version ? ` · EdgeBench Studio ${escapeHtml(meta.version)}` : ' · EdgeBench Studio'
  const counts = `${formatInteger(rows.length)} row${rows.length === 1 ? '' : 's'} · ${devices} device${devices === 1 ? '' : 's'}`
  return `<header><h1>${escapeHtml(meta.title)}</h1><p class="meta">Generated <time datetime="${escapeHtml(meta.generatedAt)}">${escapeHtml(readableTime(meta.generatedAt))}</time>${version} · ${counts}</p></header>`
}

/** Renders the self-contained HTML report (summary table + accuracy-vs-latency scatter). */
export async function toHTML(rows: readonly ReportRow[], meta: HtmlMeta): Promise<string> {
  const chart = buildChartData(rows)
  const version = meta.version ?? toolVersion()
  const data: EmbeddedReportData = {
    title: meta.title,
    generatedAt: meta.generatedAt,
    version,
    rows: [...rows],
    chart,
  }
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
    header(rows, { ...meta, version }),
    renderChart(chart),
    `<section><h2>Results</h2>${renderTable(rows, deviceColors(rows))}</section>`,
    renderEarlyExitSection(meta.earlyExit ?? []),
    renderEnv(meta.env),
    '<footer>Latency: batch 1, median (p50) with p90 in brackets; ± is half the bootstrap 95 % CI of the median. Peak RSS is measured; sizes use 1024 steps. Definitions: docs/measurement.md.</footer>',
    `<script type="application/json" id="report-data">${jsonForScript(data)}</script>`,
    `<script>${chartJs}</script>`,
    `<script>${app}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
