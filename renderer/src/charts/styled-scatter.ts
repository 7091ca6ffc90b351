/**
 * A scatter whose points carry their own style (marker, fill, outline) cheaply. Chart.js resolves
 * per-point (indexable) options through its option proxies once per point and per update, twice
 * (clip margin and elements): with 2,000 Explore points that was most of a zoom step. Points that
 * share a style name (`styleKeys[i]`, set next to the style arrays by buildDatasets) share one
 * resolved options object, resolved the ordinary way by the first of them, for one update — the
 * same lifetime as Chart.js's own cache (cleared by configure() at every update). Datasets without
 * styleKeys behave exactly like a scatter.
 *
 * The resolved objects are shared between elements, which Chart.js only allows without animations
 * (an animation writes into an element's options): the Explore chart never animates.
 */
import { ScatterController, type ChartTypeRegistry, type UpdateMode } from 'chart.js'

declare module 'chart.js' {
  interface ChartTypeRegistry {
    styledScatter: ChartTypeRegistry['scatter']
  }
}

export type StyledScatterType = keyof Pick<ChartTypeRegistry, 'styledScatter'>

/** On a dataset: one style name per point; equal names promise equal per-point style options. */
export interface StyleKeyed {
  styleKeys?: readonly string[]
}

type Options = ReturnType<InstanceType<typeof ScatterController>['getStyle']>

export class StyledScatterController extends ScatterController {
  static override id = 'styledScatter'
  static override defaults: Record<string, unknown> = { ...ScatterController.defaults }
  // A scatter's chart-level overrides (Chart.js types do not declare the controller's own).
  static overrides = {
    interaction: { mode: 'point' },
    scales: { x: { type: 'linear' }, y: { type: 'linear' } },
  }

  private styles = new Map<string, Options>()

  override configure(): void {
    super.configure()
    this.styles = new Map()
  }

  protected override resolveDataElementOptions(index: number, mode: UpdateMode): Options {
    const key = (this.getDataset() as StyleKeyed).styleKeys?.[index]
    if (key === undefined) return super.resolveDataElementOptions(index, mode)
    // Only 'active' (hover) changes what is resolved; every other mode resolves the same values.
    const cacheKey = mode === 'active' ? `active\u0000${key}` : key
    let options = this.styles.get(cacheKey)
    if (!options) {
      options = super.resolveDataElementOptions(index, mode)
      this.styles.set(cacheKey, options)
    }
    return options
  }
}
