/** The agent protocol's pure parts: line parsing, float payloads, shell quoting of argv. */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { decodeFloat32, encodeFloat32, parseAgentLine, splitLines } from '../../../devices/agent/protocol.js'
import { shellCommand } from '../../../devices/ssh/shell-quote.js'

describe('agent protocol', () => {
  it('parses replies, errors and events; ignores anything else', () => {
    expect(parseAgentLine('{"id":1,"ok":true,"pid":5}')).toEqual({
      kind: 'reply',
      reply: { id: 1, ok: true, pid: 5 },
    })
    expect(parseAgentLine('{"id":2,"ok":false,"error":{"code":"MODEL_INVALID","message":"bad"}}')).toEqual({
      kind: 'reply',
      reply: { id: 2, ok: false, error: { code: 'MODEL_INVALID', message: 'bad' } },
    })
    expect(parseAgentLine('{"event":"samples","id":3,"chunkUs":[1.5,2]}')).toEqual({
      kind: 'event',
      event: { event: 'samples', id: 3, chunkUs: [1.5, 2] },
    })
    for (const junk of [
      'hello',
      '{}',
      '{"id":"1","ok":true}',
      '{"event":"samples","id":1,"chunkUs":["x"]}',
      '{"id":1,"ok":false}',
    ]) {
      expect(parseAgentLine(junk)).toBeNull()
    }
  })

  it('round-trips float32 scores through base64 bit-exactly', () => {
    const a = new Float32Array([0, -1.5, 3.4028234663852886e38, Number.NaN, 1e-45])
    const back = decodeFloat32(encodeFloat32(a.subarray(1)))
    expect(Array.from(back)).toEqual(Array.from(a.subarray(1)))
  })

  it('splits a stream into lines, keeping the unfinished rest', () => {
    const lines: string[] = []
    expect(splitLines('a\nb\n\nc', (l) => lines.push(l))).toBe('c')
    expect(lines).toEqual(['a', 'b'])
  })

  it('quotes every argv word so sh sees it literally', () => {
    const words = ['printf', '%s|', "it's", '$(touch /tmp/pwned)', '; rm -rf ~', '`id`', 'a b', '']
    const r = spawnSync('sh', ['-c', shellCommand(words)], { encoding: 'utf8' })
    expect(r.stdout).toBe(`${words.slice(2).join('|')}|`)
  })
})
