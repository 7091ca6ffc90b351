/**
 * The EdgeBench agent: the program the studio uploads to an SSH board and drives over the
 * channel's stdio (docs/protocols.md §2). It is the session server of devices/session — the very
 * code of the local runner — on JSON Lines, so a latency on the board follows docs/measurement.md
 * exactly as on this computer.
 *
 * The agent exits as soon as its stdin closes (the studio closed the channel, cancelled, or the
 * connection dropped), even in the middle of a benchmark.
 */
import {
  decodeLine,
  encodeLine,
  splitLines,
  type SessionEvent,
  type SessionReply,
  type SessionRequest,
} from '../session/protocol.js'
import { SessionServer } from '../session/server.js'

let stdinClosed = false

function write(m: SessionEvent | SessionReply): void {
  process.stdout.write(encodeLine(m))
}

const server = new SessionServer({ emit: write, shouldStop: () => stdinClosed, who: 'The agent' })

function isRequest(v: unknown): v is SessionRequest {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { id?: unknown }).id === 'number' &&
    typeof (v as { op?: unknown }).op === 'string'
  )
}

function onLine(line: string): void {
  const req = decodeLine(line)
  if (!isRequest(req)) {
    const what = req === null ? 'a line that is not JSON' : 'a request without id or op'
    write({ id: -1, ok: false, error: { code: 'BAD_INPUT', message: `The agent received ${what}` } })
    return
  }
  void server.serve(req, write).then(() => {
    if (req.op === 'bye') process.exit(0)
  })
}

let buffer = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (d: string) => {
  buffer = splitLines(buffer + d, onLine)
})
// The studio went away: never linger on the board.
process.stdin.on('end', () => {
  stdinClosed = true
  process.exit(0)
})
process.stdin.on('error', () => process.exit(0))
process.stdout.on('error', () => process.exit(0))
