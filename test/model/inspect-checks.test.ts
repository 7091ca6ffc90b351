/**
 * `inspect` validates what it computes (issue 14): impossible models are refused or their figures
 * are marked, never a silent number — strides of 0, negative pads, an input dim of -28, an
 * unknown op, a kernel larger than its input, a 4096×4096 input.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import type { InspectResult } from '../../common/types.js'
import { inspectBytes } from '../../main/model/inspect.js'
import { bytesOf, int, ints, weights, type ModelSpec } from './build.js'

const ZOO = new URL('../../resources/models/', import.meta.url).pathname

function conv(h: number, attrs: ReturnType<typeof ints>[] = [], k = 3, channels = 8): ModelSpec {
  return {
    inputs: [{ name: 'x', elemType: 1, dims: [1, 1, h, h] }],
    outputs: ['y'],
    initializers: [weights('w', [channels, 1, k, k])],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs }],
  }
}

async function inspect(spec: ModelSpec): Promise<InspectResult> {
  return inspectBytes(bytesOf(spec), 'm.onnx', { runtime: 'never' })
}

async function refusal(spec: ModelSpec | (() => Uint8Array)): Promise<StudioError> {
  try {
    await inspectBytes(typeof spec === 'function' ? spec() : bytesOf(spec), 'm.onnx', { runtime: 'never' })
  } catch (e) {
    if (e instanceof StudioError) return e
    throw e
  }
  throw new Error('expected a refusal')
}

function finiteFigures(r: InspectResult): void {
  for (const v of [r.macs, r.params, r.peakActivationBytes, ...r.layers.map((l) => l.macs)]) {
    expect(Number.isFinite(v) && v >= 0).toBe(true)
  }
}

describe('inspect validation', () => {
  it('refuses strides, dilations or kernels of 0 and negative pads, naming the layer', async () => {
    for (const attrs of [[ints('strides', [0, 0])], [ints('dilations', [1, 0])], [ints('pads', [-3, -3, -3, -3])], [ints('strides', [-1, 1])]]) {
      const e = await refusal(conv(28, attrs))
      expect(e.code).toBe('MODEL_INVALID')
      expect(e.message).toMatch(/Conv 'Conv_0' has (strides|dilations|pads)/)
      expect(e.message).not.toContain('\n')
    }
    const g = await refusal(conv(28, [int('group', 0)]))
    expect(g.message).toMatch(/group 0/)
  })

  it('keeps a refusal one line when the names in the file hold line breaks', async () => {
    const spec = conv(28)
    const e = await refusal({ ...spec, nodes: spec.nodes.map((n) => ({ ...n, inputs: ['x', 'w\nevil\r\n'] })) })
    expect(e.message).toMatch(/reads tensor 'w\\nevil\\r\\n', which nothing produces/)
    expect(e.message).not.toMatch(/[\n\r]/)
  })

  it('refuses an input dimension below -1 when the model is read', async () => {
    const e = await refusal({ ...conv(28), inputs: [{ name: 'x', elemType: 1, dims: [1, 1, -28, 28] }] })
    expect(e.code).toBe('MODEL_INVALID')
    expect(e.message).toMatch(/input 'x' declares dimension 2 as -28/)
  })

  it('names unknown operators in warnings and marks the MAC total a lower bound', async () => {
    const r = await inspect({
      inputs: [{ name: 'x', elemType: 1, dims: [1, 1, 28, 28] }],
      outputs: ['z'],
      initializers: [weights('w', [8, 1, 3, 3])],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] },
        { op: 'Frobnicate', inputs: ['y'], outputs: ['z'], domain: 'example.custom' },
      ],
    })
    expect(r.macsLowerBound).toBe(true)
    expect(r.warnings?.join('\n')).toMatch(/1 operator\(s\) the studio does not know \(example\.custom\.Frobnicate ×1\)/)
    expect(r.layers.find((l) => l.op === 'Frobnicate')?.uncounted).toBe(true)
    expect(r.macs).toBe(8 * 26 * 26 * 9)
    finiteFigures(r)
  })

  it('drops an impossible computed shape (a kernel larger than its input) with a warning', async () => {
    const r = await inspect(conv(4, [], 7))
    expect(r.warnings?.join('\n')).toMatch(/impossible shape \(Conv 'Conv_0' → \[1, 8, -2, -2\]\)/)
    expect(r.macsLowerBound).toBe(true)
    finiteFigures(r)
  })

  it('warns before benchmarking a model whose activations need gigabytes (4096×4096 input)', async () => {
    const r = await inspect(conv(4096, [ints('pads', [1, 1, 1, 1])], 3, 32))
    expect(r.peakActivationBytes).toBeGreaterThan(2 * 1024 ** 3)
    expect(r.warnings?.join('\n')).toMatch(/Estimated activation memory for one inference is 2\.\d+ GiB/)
  })

  it('a zoo model has no warnings and an exact MAC total', async () => {
    const r = await inspectBytes(readFileSync(`${ZOO}resnet8.onnx`), 'resnet8.onnx', { runtime: 'never' })
    expect(r.warnings).toEqual([])
    expect(r.macsLowerBound).toBe(false)
  })
})
