/** The report's stylesheet: dense, light/dark following the OS, tabular right-aligned numbers. */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --head: #f6f8fa;
  --row-alt: #f9fafb; --badge-bg: #fff4d6; --badge-fg: #7a4b00; --badge-line: #e6c36a;
  --tag-bg: #eef1f4;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #8d96a0; --line: #30363d; --head: #161b22;
    --row-alt: #11161d; --badge-bg: #3a2a05; --badge-fg: #f2cc60; --badge-line: #6b5417;
    --tag-bg: #21262d;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; padding: 16px 20px 32px; background: var(--bg); color: var(--fg);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1 { font-size: 18px; margin: 0 0 2px; }
h2 { font-size: 14px; margin: 20px 0 8px; }
.meta, .sub, figcaption, .missing, .empty { color: var(--muted); }
.meta { margin: 0; }
figure { margin: 0; }
.chart-box { position: relative; height: 420px; max-width: 1100px; }
figcaption { margin-top: 6px; max-width: 1100px; }
figcaption p { margin: 4px 0; }
.skipped { font-style: italic; }
.table-wrap { overflow: auto; max-height: 80vh; border: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 0 8px; height: 32px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: middle; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--row-alt); }
thead th { position: sticky; top: 0; background: var(--head); z-index: 1; font-weight: 600; }
th button { all: unset; cursor: pointer; }
.th-sub { display: block; font-weight: 400; font-size: 11px; color: var(--muted); white-space: normal; min-width: 110px; }
th, td { padding: 0 6px; }
th button:focus-visible { outline: 2px solid #0072B2; outline-offset: 2px; }
th[aria-sort="ascending"] button::after { content: " ▲"; font-size: 10px; }
th[aria-sort="descending"] button::after { content: " ▼"; font-size: 10px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.model { font-weight: 600; }
td.warnings { white-space: normal; min-width: 160px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.tag { background: var(--tag-bg); color: var(--muted); border-radius: 3px; padding: 0 4px; font-size: 11px; }
.badge {
  display: inline-block; margin: 1px 0; padding: 0 5px; border-radius: 3px; font-size: 11px;
  background: var(--badge-bg); color: var(--badge-fg); border: 1px solid var(--badge-line);
}
.env dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.env dt { color: var(--muted); }
.env dd { margin: 0; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
`
