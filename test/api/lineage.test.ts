/**
 * Variants made elsewhere keep their lineage: `edgebench import --parent --recipe` (a real CLI
 * process) and 'models:setLineage' (the Models view's "Variant of…") on a real Studio, with the
 * checks that refuse a lineage that makes no sense, storing nothing.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeRecipe } from '../../common/compress.js'
import { createHandlers, type ApiHandlers } from '../../main/api/handlers.js'
import { saveModel } from '../../main/model/onnx-io.js'
import { Studio } from '../../main/studio.js'
import { outputTapNet } from '../fixtures/compress/prune-fixtures.js'
import { value } from './result.js'

const root = resolve(import.meta.dirname, '../..')
const zoo = (name: string): string => join(root, 'resources/models', `${name}.onnx`)
let dir: string
let studio: Studio
let api: ApiHandlers

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-lineage-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  api = createHandlers(studio, { mode: 'browser' })
  await saveModel(outputTapNet(), join(dir, 'tap.onnx'))
})

afterAll(async () => {
  api?.dispose()
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('variants made elsewhere', () => {
  it('edgebench import --parent --recipe stores the file under its parent with the recipe; bad lineage exits 2 storing nothing', () => {
    const db = join(dir, 'cli.db')
    const cli = (...args: string[]): { status: number; stdout: string; stderr: string } => {
      const r = spawnSync(process.execPath, [join(root, 'bin/edgebench.mjs'), '--db', db, ...args], { encoding: 'utf8', timeout: 120_000 })
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
    }
    const recipe = 'pruned 50 % by L1, fine-tuned 3 epochs on the train split'
    const ok = cli('import', zoo('resnet8-slim'), '--parent', zoo('resnet8'), '--recipe', recipe, '--name', 'r8-finetuned', '--json')
    expect(ok.status, ok.stderr).toBe(0)
    const j = JSON.parse(ok.stdout) as { name: string; kind: string; parent: string; recipe: { method: string; params: { text: string } } }
    expect(j).toMatchObject({ name: 'r8-finetuned', kind: 'external', parent: 'resnet8', recipe: { method: 'external', params: { text: recipe } } })
    const before = cli('import', join(dir, 'tap.onnx'), '--parent', 'resnet8', '--recipe', 'x')
    expect(before.status).toBe(2)
    expect(before.stderr.trim().split('\n')).toHaveLength(1)
    expect(before.stderr).toMatch(/not a variant of resnet8: its outputs/)
    expect(cli('import', zoo('resnet8-ee'), '--parent', 'no-such-model', '--recipe', 'x').status).toBe(2)
    const list = JSON.parse(cli('import', zoo('resnet8'), '--parent', 'r8-finetuned', '--recipe', 'loop', '--json').stdout || 'null')
    expect(list).toBeNull() // refused: resnet8 is r8-finetuned's parent
  }, 180_000)

  it("'models:setLineage' records a stored model as a variant; refuses cycles, other outputs and empty recipes", async () => {
    const parent = value(await api.invoke('models:import', { path: zoo('resnet8') }))
    const child = value(await api.invoke('models:import', { path: zoo('resnet8-slim') }))
    const linked = value(await api.invoke('models:setLineage', { modelId: child.id, parentId: parent.id, recipe: '  slimmed and fine-tuned  ' }))
    expect(linked).toMatchObject({ parentId: parent.id, kind: 'external', recipe: { method: 'external', params: { text: 'slimmed and fine-tuned' } } })
    expect(describeRecipe(linked.recipe)).toBe('Made elsewhere · slimmed and fine-tuned')
    expect(value(await api.invoke('models:variants', { modelId: parent.id })).map((m) => m.id)).toEqual([child.id])
    const cycle = await api.invoke('models:setLineage', { modelId: parent.id, parentId: child.id, recipe: 'x' })
    expect(cycle.ok ? null : cycle.error.code).toBe('BAD_INPUT')
    const tap = value(await api.invoke('models:import', { path: join(dir, 'tap.onnx') }))
    const outputs = await api.invoke('models:setLineage', { modelId: tap.id, parentId: parent.id, recipe: 'x' })
    expect(outputs.ok ? null : outputs.error.message).toMatch(/outputs/)
    const empty = await api.invoke('models:setLineage', { modelId: child.id, parentId: parent.id, recipe: '   ' })
    expect(empty.ok ? null : empty.error.code).toBe('BAD_INPUT')
    expect(studio.store.getModel(tap.id)?.parentId).toBeNull()
  }, 120_000)
})
