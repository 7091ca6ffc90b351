import { describe, expect, it } from 'vitest'
import { guessVariantKind, rowsFromResults } from '../../main/report/rows.js'
import { bench, device, evaluation, inspect, sampleItems } from './sample-results.js'

describe('rowsFromResults', () => {
  it('flattens inspect, bench and eval into one row in raw units', () => {
    const [row] = rowsFromResults([
      {
        model: 'resnet8',
        family: 'resnet',
        variant: 'fp32',
        inspect: inspect(78_000),
        bench: { ...bench('resnet8', device('host'), 182), runId: 7 },
        eval: evaluation('resnet8', 0.921),
      },
    ])
    expect(row).toMatchObject({
      runId: 7,
      model: 'resnet8',
      family: 'resnet',
      variant: 'fp32',
      device: 'host',
      deviceKind: 'local',
      threads: 1,
      latencyP50Us: 182,
      latencyCi95: [182 * 0.99, 182 * 1.012],
      peakRssBytes: 6_500_000,
      params: 78_000,
      macs: 3_120_000,
      fileBytes: 78_000 * 4 + 2048,
      top1: 0.921,
      evalCount: 10_000,
      dataset: 'Fashion-MNIST test',
      warnings: [],
    })
  })

  it('leaves what was not measured absent instead of zero', () => {
    const rows = rowsFromResults(sampleItems())
    const noBench = rows.find((r) => r.model === 'mobilenet-fp16')
    expect(noBench).toBeDefined()
    expect(noBench && 'latencyP50Us' in noBench).toBe(false)
    expect(noBench?.device).toBe('unknown device')
    const noEval = rows.find((r) => r.device === 'pi5' && r.top1 === undefined)
    expect(noEval && 'top1' in noEval).toBe(false)
    expect(rows.every((r) => Object.values(r).every((v) => v !== undefined))).toBe(true)
  })

  it('keeps peak RSS absent when the device could not measure it', () => {
    const b = bench('m', device('mcu', 'serial'), 80_000)
    b.memory.peakRssBytes = null
    const [row] = rowsFromResults([{ model: 'm', bench: b }])
    expect(row && 'peakRssBytes' in row).toBe(false)
    expect(row?.deviceKind).toBe('serial')
  })

  it('carries the bench warnings', () => {
    const [row] = rowsFromResults([
      { model: 'm', bench: bench('m', device('h'), 10, 0.2, ['CV 20 % > 10 %']) },
    ])
    expect(row?.warnings).toEqual(['CV 20 % > 10 %'])
  })
})

describe('guessVariantKind', () => {
  it('prefers the name, then the dominant weight dtype', () => {
    expect(guessVariantKind('resnet8-pruned50', inspect(10))).toBe('pruned')
    expect(guessVariantKind('resnet8.qdq.onnx')).toBe('int8')
    expect(guessVariantKind('net-fp16')).toBe('fp16')
    expect(guessVariantKind('net', inspect(10, 'int8'))).toBe('int8')
    expect(guessVariantKind('net', inspect(10, 'float16'))).toBe('fp16')
    expect(guessVariantKind('net')).toBe('fp32')
  })
})
