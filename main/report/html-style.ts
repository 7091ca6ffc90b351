/**
 * The report's stylesheet: dense, light/dark following the OS, tabular right-aligned numbers; and
 * for paper (print, PDF): light colours, every row (no scroll box), charts as images, repeated table
 * headers and a page per section, landscape A4 so the table's columns fit.
 */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d0d7de; --head: #f6f8fa;
  --row-alt: #f9fafb; --group: #eef2f6; --warn: #8a4600; --tag-bg: #eef1f4; --link: #0b5cad;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9aa4af; --line: #30363d; --head: #161b22;
    --row-alt: #11161d; --group: #1a212b; --warn: #f2cc60; --tag-bg: #21262d; --link: #79b8ff;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; padding: 16px 20px 32px; background: var(--bg); color: var(--fg);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  /* No ligatures: "shufflenet" must stay s-h-u-f-f-l in a PDF a reader searches or copies from. */
  font-variant-ligatures: none;
}
h1 { font-size: 18px; margin: 0 0 2px; }
h2 { font-size: 15px; margin: 22px 0 8px; }
h3 { font-size: 13px; margin: 14px 0 6px; }
.meta, .sub, figcaption, .missing, .empty { color: var(--muted); }
.meta { margin: 0; }
a { color: var(--link); }
figure { margin: 0 0 18px; }
.chart-box { position: relative; height: 380px; max-width: 1100px; }
.chart-img { display: none; }
figcaption { margin-top: 6px; max-width: 1100px; }
figcaption p { margin: 4px 0; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 0; margin: 4px 0; }
.legend li { display: inline-flex; align-items: center; gap: 5px; }
.legend svg { color: var(--fg); }
.front-key { display: inline-block; width: 18px; border-top: 2px solid var(--fg); }
.skipped { font-style: italic; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 0 6px; height: 30px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: middle; white-space: nowrap; }
tbody tr.result:nth-child(even) { background: var(--row-alt); }
tr.group th { background: var(--group); font-weight: 600; height: 26px; }
thead th { position: sticky; top: 0; background: var(--head); z-index: 1; font-weight: 600; }
th button { all: unset; cursor: pointer; }
.th-sub { display: block; font-weight: 400; font-size: 11px; color: var(--muted); white-space: normal; min-width: 110px; }
th button:focus-visible, a:focus-visible { outline: 2px solid #0072B2; outline-offset: 2px; }
th[aria-sort="ascending"] button::after { content: " ▲"; font-size: 10px; }
th[aria-sort="descending"] button::after { content: " ▼"; font-size: 10px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.model { font-weight: 600; }
td.variant { padding-left: 14px; }
.lineage { color: var(--muted); font-weight: 400; }
.recipe { display: block; font-size: 11px; color: var(--muted); white-space: normal; }
td.variant-kind { white-space: normal; min-width: 190px; max-width: 280px; }
.wmark { color: var(--warn); text-decoration: none; font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.tag { background: var(--tag-bg); color: var(--muted); border-radius: 3px; padding: 0 4px; font-size: 11px; }
.notes-list ol { margin: 0; padding-left: 28px; }
.notes-list li { margin: 2px 0; }
.notes-list li:target { outline: 2px solid var(--warn); }
.env-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 8px 24px; }
.env dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.env dt { color: var(--muted); }
.env dd { margin: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  :root {
    color-scheme: light;
    --bg: #ffffff; --fg: #000000; --muted: #444c56; --line: #c4c9cf; --head: #eef1f4;
    --row-alt: #f7f8fa; --group: #e6ebf0; --warn: #8a4600; --tag-bg: #eef1f4; --link: #000000;
  }
  body { padding: 0; font-size: 9pt; }
  section + section { break-before: page; }
  figure.chart { break-inside: avoid; }
  .chart-box { display: none; }
  .chart-img { display: block; width: 100%; max-height: 82mm; object-fit: contain; object-position: left; }
  .table-wrap { overflow: visible; border: none; }
  thead { display: table-header-group; }
  thead th { position: static; }
  tr { break-inside: avoid; }
  table { font-size: 8pt; }
  th, td { height: auto; padding: 1px 3px; }
  td.model, td.variant-kind, thead th { white-space: normal; }
  td.variant-kind { min-width: 110px; max-width: 170px; }
  .th-sub { min-width: 0; }
  .tag { display: none; }
  th button::after { content: none !important; }
}
`
