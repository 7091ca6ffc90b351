/** The session protocol's pure parts: message classification, JSON Lines codec, shell quoting of argv. */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import {
  classifyMessage,
  decodeFloat32,
  decodeLine,
  encodeFloat32,
  encodeLine,
  splitLines,
} from '../../../devices/session/protocol.js'
import { shellCommand } from '../../../devices/ssh/shell-quote.js'

const parse = (line: string): ReturnType<typeof classifyMessage> => classifyMessage(decodeLine(line))

describe('session protocol', () => {
  it('parses replies, errors and events; ignores anything else', () => {
    expect(parse('{"id":1,"ok":true,"pid":5}')).toEqual({
      kind: 'reply',
      reply: { id: 1, ok: true, pid: 5 },
    })
    expect(parse('{"id":2,"ok":false,"error":{"code":"MODEL_INVALID","message":"bad"}}')).toEqual({
      kind: 'reply',
      reply: { id: 2, ok: false, error: { code: 'MODEL_INVALID', message: 'bad' } },
    })
    expect(parse('{"event":"samples","id":3,"chunkUs":[1.5,2]}')).toEqual({
      kind: 'event',
      event: { event: 'samples', id: 3, chunkUs: [1.5, 2] },
    })
    for (const junk of [
      'hello',
      '{}',
      '{"id":"1","ok":true}',
      '{"event":"samples","id":1,"chunkUs":["x"]}',
      '{"id":1,"ok":false}',
      '{"event":"bogus","id":1}',
    ]) {
      expect(parse(junk)).toBeNull()
    }
  })

  it('round-trips float32 scores through base64 bit-exactly', () => {
    const a = new Float32Array([0, -1.5, 3.4028234663852886e38, Number.NaN, 1e-45])
    const back = decodeFloat32(encodeFloat32(a.subarray(1)))
    expect(Array.from(back)).toEqual(Array.from(a.subarray(1)))
  })

  it('carries Float32Array payloads through a JSON line and back, nested in arrays too', () => {
    const scores = [new Float32Array([1, -2.5, 1e-45]), new Float32Array([Number.NaN])]
    const line = encodeLine({ event: 'chainScores', id: 7, offset: 0, count: 1, classes: 3, scores })
    expect(line.endsWith('\n')).toBe(true)
    expect(line.indexOf('\n')).toBe(line.length - 1)
    const back = parse(line.trim())
    expect(back?.kind).toBe('event')
    const event = back?.kind === 'event' ? back.event : null
    expect(event?.event === 'chainScores' && event.scores.map((a) => Array.from(a))).toEqual(
      scores.map((a) => Array.from(a)),
    )
    // An object that only looks like a payload by having more keys stays an object.
    expect(decodeLine('{"a":{"$f32":"AAAAAA==","x":1}}')).toEqual({ a: { $f32: 'AAAAAA==', x: 1 } })
  })

  it('splits a stream into lines, keeping the unfinished rest', () => {
    const lines: string[] = []
    expect(splitLines('a\nb\n\nc', (l: string) => lines.push(l))).toBe('c')
    expect(lines).toEqual(['a', 'b'])
  })

  it('quotes every argv word so sh sees it literally', () => {
    const words = ['printf', '%s|', "it's", '$(touch /tmp/pwned)', '; rm -rf ~', '`id`', 'a b', '']
    const r = spawnSync('sh', ['-c', shellCommand(words)], { encoding: 'utf8' })
    expect(r.stdout).toBe(`${words.slice(2).join('|')}|`)
  })
})
