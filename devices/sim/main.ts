/**
 * `npm run sim:dut -- --port <pty> --model <onnx> [--us-per-inference N] [--fault kind@cmd#n]…`
 * A serial device-under-test on a real port (a socat pty): the runner protocol, a real ONNX model,
 * its own microsecond clock. Only protocol goes to the port; diagnostics go to stderr.
 *
 * `--stdio` serves stdin/stdout instead, for `socat PTY,raw,echo=0,link=<path> EXEC:…,nofork`:
 * socat makes one pty, hands its master to the simulator and steps aside, so the host's bytes
 * cross the kernel's pty once, as they cross a USB-serial driver, with no relay process between.
 */
import { basename } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { toStudioError } from '../../common/errors.js'
import type { HostTransport } from '../serial/host.js'
import { DEFAULT_LINE, SerialLink } from '../serial/link.js'
import { DutSimulator } from './dut.js'
import { parseFault, type Fault } from './faults.js'
import { loadSimModel } from './model.js'

function positive(name: string) {
  return (v: string): number => {
    const n = Number(v)
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`)
    return n
  }
}

interface SimFlags {
  port?: string
  stdio?: boolean
  model: string
  usPerInference?: number
  fault: Fault[]
  name: string
  modelId?: string
  baud: number
  clockStart?: number
  verbose?: boolean
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('sim-dut')
    .option('--port <path>', 'the serial port or pty to serve')
    .option('--stdio', 'serve stdin/stdout (a pty master handed over by socat ...,nofork)')
    .requiredOption('--model <onnx>', 'the ONNX model the simulated firmware carries')
    .option(
      '--us-per-inference <n>',
      'slow each inference to this many µs (mimic an MCU)',
      positive('--us-per-inference'),
    )
    .option(
      '--fault <spec>',
      'inject a fault: garbage|drop|reset|error|stuck-clock|backwards-clock @ name|profile|db|infer|any [#n]',
      (v: string, prev: Fault[]) => [...prev, parseFault(v)],
      [] as Fault[],
    )
    .option('--name <text>', 'what name% answers', 'edgebench-sim')
    .option('--model-id <id>', "what profile% reports as the model id (default: the model file's name)")
    .option('--baud <n>', 'baud rate', positive('--baud'), DEFAULT_LINE.baudRate)
    .option('--clock-start <us>', 'initial value of the 32-bit µs counter (test the wrap)', Number)
    .option('--verbose', 'diagnostics on stderr')
    .exitOverride()
  program.parse(argv)
  const f = program.opts<SimFlags>()
  const log = (m: string): void => {
    if (f.verbose) process.stderr.write(`[sim] ${m}\n`)
  }
  if ((f.port === undefined) === !f.stdio) {
    process.stderr.write('sim-dut: give either --port <path> or --stdio.\n')
    return 2
  }
  const model = await loadSimModel(f.model)
  const link: HostTransport =
    f.port !== undefined
      ? await SerialLink.open({ ...DEFAULT_LINE, path: f.port, baudRate: f.baud })
      : stdioTransport()
  const dut = new DutSimulator({
    name: f.name,
    modelId: f.modelId ?? basename(f.model, '.onnx'),
    profile: `EdgeBench simulator; onnxruntime-node; ${f.usPerInference ? `${f.usPerInference} us/inference` : 'unthrottled'}`,
    model,
    usPerInference: f.usPerInference ?? null,
    ...(f.clockStart !== undefined ? { clockStartUs: f.clockStart } : {}),
    faults: f.fault,
    // A write to a port that went away (the cable pulled) ends the simulator like a close does.
    write: (t) => {
      try {
        link.write(t)
      } catch (e) {
        log(`write failed: ${toStudioError(e).message}`)
        void stop(0)
      }
    },
  })
  const stop = async (code: number): Promise<never> => {
    await link.close().catch(() => undefined)
    await model.close().catch(() => undefined)
    process.exit(code)
  }
  link.start(
    (chunk) => dut.receive(chunk),
    (err) => {
      log(`port closed${err ? `: ${err.message}` : ''}`)
      void stop(0)
    },
  )
  process.on('SIGTERM', () => void stop(0))
  process.on('SIGINT', () => void stop(0))
  dut.banner()
  log(`serving ${f.port ?? 'stdio'}: ${f.model}, ${model.inputBytes} input bytes, faults ${f.fault.length}`)
  process.stderr.write('sim-dut ready\n')
  return new Promise<number>(() => undefined)
}

/** The pty master on stdin/stdout; a tty stdout writes synchronously, like the port's writeSync. */
function stdioTransport(): HostTransport {
  return {
    start(onData, onClose) {
      process.stdin.on('data', (chunk: Buffer) => onData(chunk))
      process.stdin.once('end', () => onClose(null))
      // EIO on the master: the host closed the slave end.
      process.stdin.once('error', (e) => onClose(e))
    },
    write(text) {
      process.stdout.write(text, 'latin1')
    },
    close: async () => {
      process.stdin.destroy()
    },
  }
}

main(process.argv)
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    process.stderr.write(`sim-dut: ${toStudioError(e).message}\n`)
    process.exit(e instanceof Error && 'exitCode' in e ? 2 : 1)
  })
