/**
 * The floor for bench:serial: the cheapest possible device on a pty — it answers every `%` with
 * `m-ready` and does nothing else. Run by tools/bench/serial.ts as a child process.
 */
import { DEFAULT_LINE, SerialLink } from '../../devices/serial/link.js'

const link = await SerialLink.open({ ...DEFAULT_LINE, path: process.argv[2] ?? '' })
link.start(
  (chunk) => {
    for (const b of chunk) if (b === 37) link.write('m-ready\r\n')
  },
  () => process.exit(0),
)
process.on('SIGTERM', () => void link.close().then(() => process.exit(0)))
process.stderr.write('sim-dut ready\n')
