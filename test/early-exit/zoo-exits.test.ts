/**
 * The zoo's early-exit models (cards with `earlyExit`): every exit's top-1 on the full test split
 * in ONNX Runtime matches the card (PyTorch), and the studio finds the card's exits with its MACs.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { planExits } from '../../main/early-exit/graph.js'
import { listCards } from '../../main/model-card.js'
import { decodeModel } from '../../main/model/onnx-io.js'

const ROOT = resolve(import.meta.dirname, '../..')
const DATA = join(ROOT, 'resources/datasets/fashion-mnist')
const zoo = (await listCards(join(ROOT, 'resources/models'))).filter(
  ({ card }) => (card as { earlyExit?: unknown }).earlyExit !== undefined,
)

interface Exits {
  exits: { output: string; top1: number; macs: number }[]
}

describe('zoo early-exit models', { timeout: 300_000 }, () => {
  it('has at least two families with an early exit', () => {
    expect(new Set(zoo.map(({ card }) => card.family)).size).toBeGreaterThanOrEqual(2)
  })

  for (const { card, modelPath } of zoo) {
    it(`${card.name}: each exit's top-1 on the test split within 0.2 % of the card; exits and MACs found`, async () => {
      const ee = (card as unknown as { earlyExit: Exits }).earlyExit
      const plan = planExits(decodeModel(readFileSync(modelPath)), card.name)
      expect(plan.exits).toEqual(ee.exits.map((e) => e.output))
      expect(plan.exitMacs).toEqual(ee.exits.map((e) => e.macs))
      expect(plan.fullMacs).toBe(card.macs)
      const images = gunzipSync(readFileSync(join(DATA, 't10k-images-idx3-ubyte.gz'))).subarray(16)
      const labels = gunzipSync(readFileSync(join(DATA, 't10k-labels-idx1-ubyte.gz'))).subarray(8)
      const { scale, mean, std } = card.preprocessing
      const x = Float32Array.from(images, (p) => (p * scale - (mean[0] ?? 0)) / (std[0] ?? 1))
      const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 })
      const right = new Map<string, number>()
      for (let at = 0; at < 10000; at += 1000) {
        const feeds = {
          input: new ort.Tensor('float32', x.subarray(at * 784, (at + 1000) * 784), [1000, 1, 28, 28]),
        }
        const out = await session.run(feeds)
        for (const e of ee.exits) {
          const d = out[e.output]?.data as Float32Array
          for (let i = 0; i < 1000; i++) {
            let best = 0
            for (let c = 1; c < 10; c++)
              if ((d[i * 10 + c] as number) > (d[i * 10 + best] as number)) best = c
            if (best === labels[at + i]) right.set(e.output, (right.get(e.output) ?? 0) + 1)
          }
        }
      }
      await session.release()
      for (const e of ee.exits)
        expect(Math.abs((right.get(e.output) ?? 0) / 10000 - e.top1), e.output).toBeLessThanOrEqual(0.002)
    })
  }
})
