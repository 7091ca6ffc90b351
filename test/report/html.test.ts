import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { toHTML, type EmbeddedReportData } from '../../main/report/html.js'
import { escapeHtml } from '../../main/report/html-escape.js'
import { orderByLineage, rowsFromResults, type ReportRow } from '../../main/report/rows.js'
import { bench, device, evaluation, inspect, sampleItems, TRICKY_NAME, XSS_NAME } from './sample-results.js'

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
    expect(html).not.toMatch(/<img(?! class="chart-img")/)
    expect(html).not.toContain('<on>')
    for (const r of rows) expect(html).toMatch(new RegExp(`<td class="model[^>]*>(<span[^>]*>↳ </span>)?${escapeHtml(r.model).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</td>`))
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).toContain(`<title>${escapeHtml(meta.title)}</title>`)
  })

  it('embeds the rows and chart data as JSON that parses back exactly', async () => {
    const html = await toHTML(rows, meta)
    const data = embedded(html)
    // Rows travel grouped by lineage (the table's order); every row exactly once.
    expect(data.rows).toEqual(orderByLineage(rows))
    expect(data.rows).toHaveLength(rows.length)
    expect(data.title).toBe(meta.title)
    expect(data.rows.map((r) => r.model)).toContain(TRICKY_NAME)
  })

  it('plots accuracy against latency per device with Pareto fronts, and names the rows it could not plot', async () => {
    const html = await toHTML(rows, meta)
    const latency = embedded(html).chart.charts.find((c) => c.id === 'latency')
    if (!latency) throw new Error('no latency chart')
    expect(latency.series.map((s) => s.device)).toEqual(['this computer', 'pi5'])
    const host = latency.series[0]
    expect(host?.front.map((p) => p.x)).toEqual([40, 84, 114, 182])
    expect(host?.points.filter((p) => !p.onFront)).toHaveLength(2)
    expect(latency.series[1]?.front.map((p) => p.x)).toEqual([950, 2100])
    expect(new Set(latency.series.map((s) => s.color)).size).toBe(2)
    expect(latency.logX).toBe(true)
    expect(latency.skipped.map((s) => s.reason)).toEqual(['no accuracy', 'no latency'])
    expect(html).toContain('2 rows are in the table but not plotted here')
    expect(html).toContain('mobilenet-fp16 on unknown device (no latency)')
    // Every plotted point carries its label (drawn beside it) and the recipe in its tooltip.
    expect(host?.points.map((p) => p.label)).toContain('resnet8-int8')
    expect(host?.points.find((p) => p.label === 'resnet8-int8')?.tip).toContain('INT8 static · minmax · per-channel · uint8 · 500 samples')
  })

  it('plots accuracy against model size and peak memory too, RSS on computers and activations on MCUs', async () => {
    const mcu = rowsFromResults([
      ...sampleItems(),
      { model: 'resnet8', family: 'resnet', device: 'nucleo', inspect: inspect(78_000), bench: { ...bench('resnet8', device('nucleo', 'serial'), 80_000), memory: { peakRssBytes: null, sessionRssBytes: null } }, eval: evaluation('resnet8', 0.92) },
    ])
    const { chart } = embedded(await toHTML(mcu, meta))
    expect(chart.charts.map((c) => c.id)).toEqual(['latency', 'size', 'memory'])
    const size = chart.charts[1]
    const memory = chart.charts[2]
    expect(size?.unit).toBe('bytes')
    expect(size?.series.flatMap((s) => s.points.map((p) => p.x))).toContain(78_000 * 4 + 2048)
    const board = memory?.series.find((s) => s.device === 'nucleo')
    expect(board?.points[0]?.x).toBe(50_176)
    expect(memory?.series.find((s) => s.device === 'this computer')?.points[0]?.x).toBe(6_500_000)
    expect(memory?.note).toMatch(/static peak of live activations on microcontrollers/)
  })

  it('groups variants under their parent with speed-up, Δ top-1, size ratio and recipe', async () => {
    const html = await toHTML(rows, meta)
    expect(html).toContain('<tr class="group"><th scope="rowgroup" colspan="13">resnet8')
    expect(html).toMatch(/<td class="model variant" title="derived from resnet8"><span class="lineage" aria-hidden="true">↳ <\/span>resnet8-int8<\/td>/)
    expect(html).toContain('<span class="recipe">INT8 static · minmax · per-channel · uint8 · 500 samples</span>')
    expect(html).toContain('>1.60×</td>')
    expect(html).toContain('>−0.3 pt</td>')
    expect(html).toContain('>25 %</td>')
  })

  it('formats figures per magnitude with p90 beside p50, accuracy with dataset and count, and badges', async () => {
    const html = await toHTML(rows, meta)
    expect(html).toContain('182 µs <span class="sub">(197 µs)</span>')
    expect(html).toContain('2.10 ms <span class="sub">(2.27 ms)</span>')
    expect(html).toContain('Fashion-MNIST test · 10,000')
    expect(html).toContain('91.8 % top-1 · Fashion-MNIST test · 10,000')
    expect(html).toContain('noisy (CV 14 %)')
    // One marker per row, the details in its title and in a numbered footnote.
    expect(html.match(/class="wmark"/g)).toHaveLength(2)
    expect(html).toMatch(/<li id="note-\d" value="\d"><strong>&lt;img src=x onerror=alert\(1\)&gt; · this computer<\/strong>: load average 3.1 above 2 cores at start<\/li>/)
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
        group: 'a',
        warnings: [],
      },
      {
        model: 'b',
        variant: 'fp32',
        device: 'd',
        top1: 0.8,
        dataset: 'CIFAR-10 test',
        evalCount: 500,
        group: 'b',
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
      group: '<b>',
      warnings: ['</SCRIPT>'],
    }
    const html = await toHTML([evil], meta)
    expect(scripts(html)).toHaveLength(3)
    expect(embedded(html).rows[0]).toEqual(evil)
    expect(html).toContain('Nothing to plot')
    expect(html).not.toContain('<b>')
  })

  it('says what to do when there are no rows', async () => {
    const html = await toHTML([], meta)
    expect(html).toContain('No results selected')
    expect(embedded(html).rows).toEqual([])
  })
})

describe('toHTML header', () => {
  it('shows the generation time readably, keeping the ISO time in datetime', async () => {
    const html = await toHTML([], { title: 't', generatedAt: '2026-01-01T13:05:09.000Z', timeZone: 'Europe/Berlin' })
    expect(html).toContain('<time datetime="2026-01-01T13:05:09.000Z">2026-01-01 14:05 UTC+01:00</time>')
  })

  it('has an environment block per device', async () => {
    const html = await toHTML(rows, { ...meta, envs: [device('this computer'), device('pi5', 'ssh')] })
    expect(html.match(/<div class="env-device">/g)).toHaveLength(2)
    expect(html).toContain('<h3>pi5</h3>')
  })
})
