import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { toHTML, type EmbeddedReportData } from '../../main/report/html.js'
import { escapeHtml } from '../../main/report/html-escape.js'
import { rowsFromResults, type ReportRow } from '../../main/report/rows.js'
import { device, sampleItems, TRICKY_NAME, XSS_NAME } from './sample-results.js'

const rows = rowsFromResults(sampleItems())
const meta = {
  title: 'Zoo <on> "host"',
  generatedAt: '2026-01-01T00:00:00.000Z',
  env: device('this computer'),
}

function scripts(html: string): { attrs: string; body: string }[] {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({
    attrs: m[1] ?? '',
    body: m[2] ?? '',
  }))
}

function embedded(html: string): EmbeddedReportData {
  const block = scripts(html).find((s) => s.attrs.includes('application/json'))
  expect(block).toBeDefined()
  return JSON.parse(block?.body ?? '') as EmbeddedReportData
}

describe('toHTML', () => {
  it('is self-contained: no remote script, stylesheet, image or frame', async () => {
    const html = await toHTML(rows, meta)
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)\s*=\s*["']?(https?:)?\/\//i)
    expect(html).not.toMatch(/<link\b/i)
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i)
  })

  it('inlines Chart.js and pins both inline scripts in the CSP', async () => {
    const html = await toHTML(rows, meta)
    const code = scripts(html).filter((s) => !s.attrs.includes('application/json'))
    expect(code).toHaveLength(2)
    expect(code[0]?.body).toMatch(/Chart\.js v4\./)
    expect((code[0]?.body.length ?? 0) > 100_000).toBe(true)
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? ''
    for (const s of code) {
      const hash = createHash('sha256').update(s.body, 'utf8').digest('base64')
      expect(csp).toContain(`'sha256-${hash}'`)
    }
    expect(csp).toContain("default-src 'none'")
  })

  it('shows every model name escaped, and the hostile one never raw', async () => {
    const html = await toHTML(rows, meta)
    expect(html).not.toContain(XSS_NAME)
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<on>')
    for (const r of rows) expect(html).toContain(`<td class="model">${escapeHtml(r.model)}</td>`)
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).toContain(`<title>${escapeHtml(meta.title)}</title>`)
  })

  it('embeds the rows and chart data as JSON that parses back exactly', async () => {
    const html = await toHTML(rows, meta)
    const data = embedded(html)
    expect(data.rows).toEqual(rows)
    expect(data.title).toBe(meta.title)
    expect(data.rows.map((r) => r.model)).toContain(TRICKY_NAME)
  })

  it('plots per device with Pareto fronts, and names the rows it could not plot', async () => {
    const html = await toHTML(rows, meta)
    const { chart } = embedded(html)
    expect(chart.series.map((s) => s.device)).toEqual(['this computer', 'pi5'])
    const host = chart.series[0]
    expect(host?.front.map((p) => p.x)).toEqual([40, 84, 114, 182])
    expect(host?.points.filter((p) => !p.onFront)).toHaveLength(2)
    expect(chart.series[1]?.front.map((p) => p.x)).toEqual([950, 2100])
    expect(new Set(chart.series.map((s) => s.color)).size).toBe(2)
    expect(chart.logX).toBe(true)
    expect(chart.skipped.map((s) => s.reason)).toEqual(['no accuracy', 'no latency'])
    expect(html).toContain('2 rows are in the table but not plotted')
    expect(html).toContain('mobilenet-fp16 on unknown device (no latency)')
  })

  it('formats figures per magnitude with p90 beside p50, accuracy with dataset and count, and badges', async () => {
    const html = await toHTML(rows, meta)
    expect(html).toContain('182 µs <span class="sub">(197 µs)</span>')
    expect(html).toContain('2.10 ms <span class="sub">(2.27 ms)</span>')
    expect(html).toContain('Fashion-MNIST test · 10,000')
    expect(html).toContain('91.8 % top-1 · Fashion-MNIST test · 10,000')
    expect(html).toContain('noisy (CV 14 %)')
    expect(html).toContain('load average 3.1 above 2 cores at start</span>')
    expect(html).toContain('prefers-color-scheme: dark')
    expect(html).toContain('AMD EPYC')
  })

  it('names the dataset per cell when accuracies come from different splits', async () => {
    const mixed: ReportRow[] = [
      {
        model: 'a',
        variant: 'fp32',
        device: 'd',
        top1: 0.9,
        dataset: 'Fashion-MNIST test',
        evalCount: 10_000,
        warnings: [],
      },
      {
        model: 'b',
        variant: 'fp32',
        device: 'd',
        top1: 0.8,
        dataset: 'CIFAR-10 test',
        evalCount: 500,
        warnings: [],
      },
    ]
    const html = await toHTML(mixed, meta)
    expect(html).toContain('90.0 %<span class="sub"> · Fashion-MNIST test · 10,000</span>')
    expect(html).toContain('80.0 %<span class="sub"> · CIFAR-10 test · 500</span>')
  })

  it('keeps a closing script tag in data from ending the data block', async () => {
    const evil: ReportRow = {
      model: '</script><script>alert(1)</script>',
      variant: 'fp32',
      device: '<!--',
      warnings: ['</SCRIPT>'],
    }
    const html = await toHTML([evil], meta)
    expect(scripts(html)).toHaveLength(3)
    expect(embedded(html).rows[0]).toEqual(evil)
    expect(html).toContain('Nothing to plot')
  })

  it('says what to do when there are no rows', async () => {
    const html = await toHTML([], meta)
    expect(html).toContain('No results selected')
    expect(embedded(html).rows).toEqual([])
  })
})

describe('toHTML header', () => {
  it('shows the generation time readably, keeping the ISO time in datetime', async () => {
    const html = await toHTML([], { title: 't', generatedAt: '2026-01-01T13:05:09.000Z' })
    expect(html).toContain('<time datetime="2026-01-01T13:05:09.000Z">2026-01-01 13:05 UTC</time>')
  })
})
