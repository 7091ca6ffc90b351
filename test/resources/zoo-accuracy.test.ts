/**
 * The zoo's model cards state a top-1 measured in PyTorch. The engine's evaluation (ONNX Runtime in
 * the local device's child process, the studio's own preprocessing and metrics) must agree within
 * 0.2 % on the full 10,000-image test split — else either the export or our pipeline is wrong.
 */
import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS } from '../../common/types.js'
import { LocalDevice } from '../../devices/local/local-device.js'
import { resolveDataset } from '../../main/data/datasets.js'
import { evaluateOn } from '../../main/data/evaluate.js'
import { preprocessSpecFor } from '../../main/data/preprocess.js'
import { listCards } from '../../main/model-card.js'

const zoo = await listCards(resolve(import.meta.dirname, '../../resources/models'))
const device = new LocalDevice({ name: 'local' })

afterAll(async () => {
  await device.close()
})

describe('zoo accuracy in ONNX Runtime matches the model cards', () => {
  it('has the ten bundled models', () => {
    expect(zoo.length).toBeGreaterThanOrEqual(10)
  })

  for (const { card, modelPath } of zoo) {
    it(`${card.name}: top-1 on the full test split within 0.2 % of the card (${(card.top1 * 100).toFixed(2)} %)`, async () => {
      const dataset = await resolveDataset(card.dataset, { split: card.split })
      const dep = await device.prepare({ name: card.name, path: modelPath }, DEFAULT_SESSION_OPTIONS)
      const r = await evaluateOn(device, dep, dataset, preprocessSpecFor(card.preprocessing))
      expect(r.count).toBe(card.count)
      expect(Math.abs(r.top1 - card.top1)).toBeLessThanOrEqual(0.002)
    }, 120_000)
  }
})

