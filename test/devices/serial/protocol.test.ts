/**
 * The protocol parser on recorded transcripts (test/fixtures/serial/*.bin, see make-fixtures.py):
 * garbage bytes, lines split across reads at every possible point, CR / LF / CRLF line ends,
 * a 32-bit lap wrap, result floats in every notation, energy-mode firmware, a wrong baud rate.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  dbChunkCommands,
  lapElapsedUs,
  lapProblem,
  LineSplitter,
  parseLine,
  parseResultValues,
  readInferReply,
  type SerialEvent,
} from '../../../devices/serial/protocol.js'

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'serial')
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIX, name)))

/** Feeds the transcript in pieces cut at the given points; returns the parsed events. */
function eventsOf(data: Uint8Array, cuts: number[] = []): SerialEvent[] {
  const s = new LineSplitter()
  const out: SerialEvent[] = []
  let at = 0
  for (const c of [...cuts, data.length]) {
    for (const line of s.push(data.subarray(at, c))) out.push(parseLine(line))
    at = c
  }
  return out
}

describe('LineSplitter + parseLine on transcripts', () => {
  it('reads a boot banner with noise, then name/profile replies with LF-only and CR-only ends', () => {
    const ev = eventsOf(bytes('boot-identify.bin'))
    expect(ev.map((e) => e.kind)).toEqual([
      'noise',
      'timestamp-mode',
      'lap',
      'init-done',
      'ready',
      'name',
      'ready',
      'profile',
      'model',
      'ready',
      'error',
      'ready',
    ])
    expect(ev[1]).toEqual({ kind: 'timestamp-mode', mode: 'performance' })
    expect(ev[5]).toEqual({ kind: 'name', word: 'dut', name: 'unspecified' })
    expect(ev[7]).toEqual({ kind: 'profile', text: 'ULPMark for tinyML Firmware V0.0.1' })
    expect(ev[8]).toEqual({ kind: 'model', id: 'ic01' })
    expect(ev[10]).toEqual({ kind: 'error', message: 'Unknown command: ' })
  })

  it('gives the same events whatever the read boundaries (every cut point, and byte by byte)', () => {
    for (const name of ['boot-identify.bin', 'infer-wrap.bin', 'energy-mode.bin']) {
      const data = bytes(name)
      const whole = eventsOf(data)
      for (let cut = 1; cut < data.length; cut++) expect(eventsOf(data, [cut])).toEqual(whole)
      expect(
        eventsOf(
          data,
          Array.from({ length: data.length - 1 }, (_, i) => i + 1),
        ),
      ).toEqual(whole)
    }
  })

  it('parses an infer reply whose laps straddle the 32-bit wrap, and floats in every notation', () => {
    const ev = eventsOf(bytes('infer-wrap.bin'))
    expect(ev[0]).toEqual({ kind: 'expecting', bytes: 3072 })
    expect(ev[2]).toEqual({ kind: 'load-done' })
    const r = readInferReply(ev.slice(4))
    expect(r.laps).toEqual([4294867296, 300000])
    expect(lapElapsedUs(r.laps[0] as number, r.laps[1] as number)).toBe(400000)
    expect(r.done).toBe(true)
    expect(r.reset).toBe(false)
    expect(r.results?.slice(0, 6)).toEqual([0, 0.0015, -22.5, 0.5, 7, 3])
    expect(Number.isNaN(r.results?.[6])).toBe(true)
    expect(r.results?.[7]).toBe(-Infinity)
  })

  it('sees energy-mode firmware: a banner saying so and infer replies without laps', () => {
    const ev = eventsOf(bytes('energy-mode.bin'))
    expect(ev[0]).toEqual({ kind: 'timestamp-mode', mode: 'energy' })
    const r = readInferReply(ev.slice(3))
    expect(r.laps).toEqual([])
    expect(r.results).toEqual([0.1, 0.9])
  })

  it('finds no protocol line in wrong-baud noise', () => {
    const ev = eventsOf(bytes('wrong-baud.bin'))
    expect(ev.length).toBeGreaterThan(0)
    expect(ev.every((e) => e.kind === 'noise')).toBe(true)
  })

  it('cuts a flood without line ends instead of growing without bound', () => {
    const s = new LineSplitter()
    const lines = s.push(new Uint8Array(20_000).fill(0x41))
    expect(lines.length).toBe(1)
    expect(s.pending()).toBe('')
  })
})

describe('parseLine details', () => {
  it('classifies the reply lines of every command', () => {
    expect(parseLine('m-ready')).toEqual({ kind: 'ready' })
    expect(parseLine('m-name-board-[Nucleo L4R5ZI]')).toEqual({
      kind: 'name',
      word: 'board',
      name: 'Nucleo L4R5ZI',
    })
    expect(parseLine('m-lap-us-0')).toEqual({ kind: 'lap', us: 0 })
    expect(parseLine('m-lap-us-4294967295')).toEqual({ kind: 'lap', us: 4294967295 })
    expect(parseLine('m-lap-us-4294967296').kind).toBe('message')
    expect(parseLine('m-infer-start-100')).toEqual({ kind: 'infer-start', count: 100 })
    expect(parseLine('m-warmup-start-10')).toEqual({ kind: 'warmup-start', count: 10 })
    expect(parseLine("e-[Invalid hex digit 'g']")).toEqual({
      kind: 'error',
      message: "Invalid hex digit 'g'",
    })
    expect(parseLine('m-[some chatter]')).toEqual({ kind: 'message', text: 'some chatter' })
    expect(parseLine('hello')).toEqual({ kind: 'noise', text: 'hello' })
  })

  it('recovers a line with printable garbage glued before it', () => {
    expect(parseLine('#~!m-ready')).toEqual({ kind: 'ready' })
    expect(parseLine('xx e-[boom]')).toEqual({ kind: 'error', message: 'boom' })
    expect(parseLine('m-results-[1,2,x]').kind).toBe('message')
  })

  it('parses result lists with a general float pattern and rejects non-numbers', () => {
    expect(parseResultValues('1,-2.5,3e2,4E-2')).toEqual([1, -2.5, 300, 0.04])
    expect(parseResultValues('')).toEqual([])
    expect(parseResultValues('1,,2')).toBeNull()
    expect(parseResultValues('0x10')).toBeNull()
  })

  it('handles the lap wrap only in the forward direction', () => {
    expect(lapElapsedUs(10, 25)).toBe(15)
    expect(lapElapsedUs(2 ** 32 - 5, 5)).toBe(10)
  })

  it('calls laps invalid when equal, backwards or longer than the host waited; one wrap is fine', () => {
    expect(lapProblem(500, 500, 2e6)).toMatch(/did not advance/)
    expect(lapProblem(10_000, 9_000, 2e6)).toMatch(/went backwards/)
    expect(lapProblem(0, 2 ** 31, 2e6)).toMatch(/jumped ahead/)
    expect(lapProblem(2 ** 32 - 5, 1_000_000, 1.2e6)).toBeNull()
    expect(lapProblem(10, 1_000_010, 1.05e6)).toBeNull()
  })
})

describe('dbChunkCommands', () => {
  it('uploads 784 bytes in 26 commands of at most 31 bytes, each under 80 characters with its %', () => {
    const data = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) & 255)
    const cmds = dbChunkCommands(data)
    expect(cmds.length).toBe(26)
    for (const c of cmds) expect(`${c}%`.length).toBeLessThanOrEqual(80)
    const back = Uint8Array.from(
      cmds.flatMap((c) => c.slice(3).match(/../g) ?? []).map((h) => Number.parseInt(h, 16)),
    )
    expect(back).toEqual(data)
  })
})
