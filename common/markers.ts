/**
 * Chart.js point styles as SVG, so a legend, a printed report or an exported SVG shows the very
 * marker the chart draws (not the style's name). Pure string building; no DOM.
 */

/** An SVG path for a marker of radius r centred at (cx, cy); `stroke` markers are lines only. */
export function markerPath(shape: string, cx: number, cy: number, r: number): { d: string; stroke: boolean } {
  const f = (n: number): string => (Math.round(n * 100) / 100).toString()
  const pt = (x: number, y: number): string => `${f(x)} ${f(y)}`
  const s = r * Math.SQRT1_2
  switch (shape) {
    case 'triangle': {
      const h = (r * 3) / 2
      const side = (r * 3) / Math.sqrt(3)
      return { d: `M${pt(cx, cy - r)}L${pt(cx + side / 2, cy - r + h)}L${pt(cx - side / 2, cy - r + h)}Z`, stroke: false }
    }
    case 'rect':
      return { d: `M${pt(cx - s, cy - s)}H${f(cx + s)}V${f(cy + s)}H${f(cx - s)}Z`, stroke: false }
    case 'rectRounded': {
      const q = s * 0.35
      return {
        d: `M${pt(cx - s + q, cy - s)}H${f(cx + s - q)}Q${pt(cx + s, cy - s)} ${pt(cx + s, cy - s + q)}V${f(cy + s - q)}Q${pt(cx + s, cy + s)} ${pt(cx + s - q, cy + s)}H${f(cx - s + q)}Q${pt(cx - s, cy + s)} ${pt(cx - s, cy + s - q)}V${f(cy - s + q)}Q${pt(cx - s, cy - s)} ${pt(cx - s + q, cy - s)}Z`,
        stroke: false,
      }
    }
    case 'rectRot':
      return { d: `M${pt(cx, cy - r)}L${pt(cx + r, cy)}L${pt(cx, cy + r)}L${pt(cx - r, cy)}Z`, stroke: false }
    case 'cross':
      return { d: `M${pt(cx, cy - r)}V${f(cy + r)}M${pt(cx - r, cy)}H${f(cx + r)}`, stroke: true }
    case 'crossRot':
      return { d: `M${pt(cx - s, cy - s)}L${pt(cx + s, cy + s)}M${pt(cx + s, cy - s)}L${pt(cx - s, cy + s)}`, stroke: true }
    case 'star':
      return {
        d: `M${pt(cx, cy - r)}V${f(cy + r)}M${pt(cx - r, cy)}H${f(cx + r)}M${pt(cx - s, cy - s)}L${pt(cx + s, cy + s)}M${pt(cx + s, cy - s)}L${pt(cx - s, cy + s)}`,
        stroke: true,
      }
    default:
      return { d: `M${pt(cx - r, cy)}A${f(r)} ${f(r)} 0 1 0 ${pt(cx + r, cy)}A${f(r)} ${f(r)} 0 1 0 ${pt(cx - r, cy)}Z`, stroke: false }
  }
}

/** A small standalone SVG of one marker (legends); colours are CSS colours the caller controls. */
export function markerSvg(shape: string, fill: string, stroke: string, size = 14, strokeWidth = 1.5): string {
  const c = size / 2
  const { d, stroke: linesOnly } = markerPath(shape, c, c, size / 2 - 2)
  const paint = linesOnly ? `fill="none" stroke="${stroke}"` : `fill="${fill}" stroke="${stroke}"`
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" aria-hidden="true" focusable="false"><path d="${d}" ${paint} stroke-width="${strokeWidth}"/></svg>`
}
