/**
 * The reader meets damaged files in the wild (interrupted downloads, wrong files renamed .onnx).
 * Whatever the damage, it must return a valid model or throw StudioError('MODEL_INVALID') —
 * never crash, hang, or leak a protobufjs RangeError — and what it accepts must inspect cleanly.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { inspectDecoded } from '../../main/model/inspect.js'
import { decodeModel, encodeModel } from '../../main/model/onnx-io.js'
import { graphOf, type ModelProto } from '../../main/model/proto.js'
import { initializerToFloat32 } from '../../main/model/tensor.js'

const FIXTURE = new URL('../fixtures/model/tiny-cnn.onnx', import.meta.url).pathname
// EDGEBENCH_TEST_ZOO points the zoo tests at another folder (e.g. untrained exports of the zoo).
const ZOO = process.env.EDGEBENCH_TEST_ZOO ?? new URL('../../resources/models/', import.meta.url).pathname

function zooFiles(): string[] {
  try {
    return readdirSync(ZOO)
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => ZOO + f)
  } catch {
    return []
  }
}

/** A deterministic generator, so a failing mutant can be reproduced from its seed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1
  return (n) => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) % n
  }
}

/** Same model with weights in the typed float_data field, so flips hit packed repeated fields. */
function typedVariant(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes)
  for (const t of graphOf(model).initializer) {
    if (t.dataType !== 1) continue
    t.floatData = Array.from(initializerToFloat32(t))
    t.rawData = new Uint8Array(0)
  }
  return encodeModel(model)
}

interface Tally {
  ok: number
  invalid: number
  /** How many accepted mutants still to inspect (inspection gzips the file, slow on big models). */
  inspectBudget?: number
}

async function expectReaderSurvives(bytes: Uint8Array, what: string, tally: Tally): Promise<void> {
  let model: ModelProto
  try {
    model = decodeModel(bytes, 'fuzz.onnx')
  } catch (e) {
    if (!(e instanceof StudioError) || e.code !== 'MODEL_INVALID') {
      throw new Error(`${what}: expected MODEL_INVALID, got ${String(e)}`, { cause: e })
    }
    expect(e.message.startsWith('Error loading ONNX model fuzz.onnx: ')).toBe(true)
    tally.invalid++
    return
  }
  tally.ok++
  if (tally.inspectBudget !== undefined && tally.inspectBudget-- <= 0) return
  try {
    const r = await inspectDecoded(model, bytes, { runtime: 'never' })
    expect(Number.isFinite(r.params) && Number.isFinite(r.macs) && Number.isFinite(r.peakActivationBytes)).toBe(true)
  } catch (e) {
    if (!(e instanceof StudioError)) throw new Error(`${what}: inspect threw ${String(e)}`, { cause: e })
  }
}

function mutants(bytes: Uint8Array, seed: number, count: number): { what: string; bytes: Uint8Array }[] {
  const r = rng(seed)
  const out: { what: string; bytes: Uint8Array }[] = []
  for (let i = 0; i < count; i++) {
    const cut = r(bytes.length)
    out.push({ what: `truncated at ${cut}`, bytes: bytes.subarray(0, cut) })
  }
  for (let i = 0; i < count; i++) {
    const copy = Uint8Array.from(bytes)
    const flips = 1 + r(4)
    // Half the mutants aim at the first fifth of the file, where the nodes and shapes are.
    const span = i % 2 === 0 ? bytes.length : Math.max(1, Math.floor(bytes.length / 5))
    const at: number[] = []
    for (let k = 0; k < flips; k++) {
      const p = r(span)
      copy[p] = r(256)
      at.push(p)
    }
    out.push({ what: `seed ${seed} mutant ${i}: bytes changed at ${at.join(',')}`, bytes: copy })
  }
  return out
}

describe('reader fuzzing', () => {
  const fixture = readFileSync(FIXTURE)

  it('survives truncations and byte flips of the fixture (raw_data weights)', async () => {
    const tally = { ok: 0, invalid: 0 }
    for (const m of mutants(fixture, 42, 300)) await expectReaderSurvives(m.bytes, m.what, tally)
    // Both outcomes occur: most truncations are rejected, flips inside weights stay loadable.
    expect(tally.invalid).toBeGreaterThan(250)
    expect(tally.ok).toBeGreaterThan(20)
  }, 240_000)

  it('survives truncations and byte flips of the fixture with typed float_data weights', async () => {
    const tally = { ok: 0, invalid: 0 }
    for (const m of mutants(typedVariant(fixture), 7, 250)) await expectReaderSurvives(m.bytes, m.what, tally)
    expect(tally.invalid).toBeGreaterThan(100)
  }, 240_000)

  it('survives every truncation of the first 2 KB (headers, first nodes)', async () => {
    const tally = { ok: 0, invalid: 0 }
    for (let cut = 0; cut < 2048; cut += 3) {
      await expectReaderSurvives(fixture.subarray(0, cut), `truncated at ${cut}`, tally)
    }
    expect(tally.ok).toBe(0)
  }, 240_000)

  const zoo = zooFiles()
  it.runIf(zoo.length > 0)('survives truncations and byte flips of the zoo models', async () => {
    for (const [i, file] of zoo.entries()) {
      const bytes = readFileSync(file)
      const tally = { ok: 0, invalid: 0, inspectBudget: 5 }
      for (const m of mutants(bytes, 1000 + i, 40)) await expectReaderSurvives(m.bytes, `${file} ${m.what}`, tally)
      expect(tally.invalid).toBeGreaterThan(0)
    }
  }, 300_000)
})
