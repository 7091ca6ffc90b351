import { describe, expect, it } from 'vitest'
import { DEFAULT_SWEEP } from '../../common/compress.js'
import { parseRecipe } from '../../common/recipe.js'
import { planFill, planSteps } from '../../main/recommend/fill.js'
import type { ModelRow } from '../../main/store/store.js'

const grid = DEFAULT_SWEEP.map(parseRecipe)

function model(id: number, name: string, parentId: number | null = null, recipe: unknown = null): ModelRow {
  const r = recipe === null ? null : parseRecipe(recipe)
  return {
    id,
    name,
    path: `/m/${name}.onnx`,
    sha256: String(id).padStart(64, '0'),
    family: null,
    kind: 'fp32',
    parentId,
    recipe: r ? { method: r.method, params: { ...r } } : null,
    card: null,
    preprocess: null,
    labels: null,
    dataset: null,
    inspect: null,
    createdAt: '2026-01-01T00:00:00Z',
  }
}

describe('planFill (what --fill measures)', () => {
  it('derives only the grid variants that do not exist and measures only what is missing', () => {
    const models = [
      model(1, 'resnet8'),
      model(2, 'resnet8-fp16', 1, { method: 'fp16' }),
      model(3, 'resnet8-int8-minmax', 1, { method: 'int8-static', calibrator: 'minmax' }),
      model(4, 'mobilenetv2'),
    ]
    const plan = planFill({ models, benched: new Set([1, 2, 3]), evaluated: new Set([1, 3]), grid, dataset: 'fashion-mnist' })
    // resnet8 lacks 9 of the 11 grid variants, mobilenetv2 all 11.
    expect(plan.derive.filter((d) => d.parentId === 1).map((d) => d.label)).not.toContain('fp16')
    expect(plan.derive.filter((d) => d.parentId === 1)).toHaveLength(grid.length - 2)
    expect(plan.derive.filter((d) => d.parentId === 4)).toHaveLength(grid.length)
    const stored = plan.measure.filter((m) => 'modelId' in m.target)
    expect(stored.map((m) => [m.name, m.bench, m.eval])).toEqual([
      ['resnet8-fp16', false, true],
      ['mobilenetv2', true, true],
    ])
    // Every derived variant gets a bench and an eval.
    expect(plan.measure.filter((m) => 'parentId' in m.target).every((m) => m.bench && m.eval)).toBe(true)
    expect(planSteps(plan)).toBe(plan.derive.length + 1 + 2 + 2 * plan.derive.length)
  })

  it('without a dataset plans no evaluations; with an empty grid (serial boards) derives nothing', () => {
    const models = [model(1, 'resnet8')]
    const noData = planFill({ models, benched: new Set(), evaluated: new Set(), grid: grid.slice(0, 2), dataset: null })
    expect(noData.measure.every((m) => !m.eval)).toBe(true)
    const serial = planFill({ models, benched: new Set([1]), evaluated: new Set(), grid: [], dataset: 'fashion-mnist' })
    expect(serial.derive).toEqual([])
    expect(serial.measure).toEqual([{ target: { modelId: 1 }, name: 'resnet8', bench: false, eval: true }])
    const done = planFill({ models, benched: new Set([1]), evaluated: new Set([1]), grid: [], dataset: 'fashion-mnist' })
    expect(planSteps(done)).toBe(0)
  })

  it('a variant is matched by its recipe label, not by its name', () => {
    const renamed = [model(1, 'resnet8'), model(2, 'my-half-precision', 1, { method: 'fp16' })]
    const plan = planFill({ models: renamed, benched: new Set([1, 2]), evaluated: new Set([1, 2]), grid: [parseRecipe({ method: 'fp16' })], dataset: 'x' })
    expect(plan.derive).toEqual([])
    expect(planSteps(plan)).toBe(0)
  })
})
