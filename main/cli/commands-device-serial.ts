/** `device add serial …` and `ports`: serial boards running MLPerf Tiny runner firmware. */
import { InvalidArgumentError, type Command } from 'commander'
import { listPorts } from '../../devices/serial/ports.js'
import { addSerialDevice } from '../serial-setup.js'
import { deviceAddCommand } from './commands-device.js'
import { interruptSignal, openStudio } from './context.js'
import { printJson, printLine, table } from './output.js'
import { intOption } from './run-helpers.js'

function oneOf<T extends string | number>(name: string, allowed: readonly T[], parse: (v: string) => T) {
  return (value: string): T => {
    const v = parse(value)
    if (!allowed.includes(v)) throw new InvalidArgumentError(`${name} must be one of ${allowed.join(', ')}.`)
    return v
  }
}

function hwc(value: string): { height: number; width: number; channels: 1 | 3 } {
  const m = /^(\d+)x(\d+)x([13])$/i.exec(value.trim())
  if (!m) throw new InvalidArgumentError('--input must be HxWxC with C 1 or 3, e.g. 32x32x3.')
  return { height: Number(m[1]), width: Number(m[2]), channels: Number(m[3]) as 1 | 3 }
}

function seconds(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || n > 25)
    throw new InvalidArgumentError('--window-seconds must be a number in (0, 25].')
  return n
}

interface AddFlags {
  name: string
  path: string
  baud?: number
  dataBits?: 5 | 6 | 7 | 8
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space'
  stopBits?: 1 | 1.5 | 2
  model?: string
  dataset?: string
  windowSeconds?: number
  input?: { height: number; width: number; channels: 1 | 3 }
  probe: boolean
  json?: boolean
}

export function registerSerial(program: Command): void {
  deviceAddCommand(program)
    .command('serial')
    .description('a microcontroller board running MLPerf Tiny / EEMBC runner firmware')
    .requiredOption('--name <name>', 'a name for the board')
    .requiredOption('--path <dev>', "its serial port, e.g. /dev/ttyACM0 (see 'edgebench ports')")
    .option('--baud <b>', 'baud rate (default 115200)', intOption('--baud', 1))
    .option(
      '--data-bits <n>',
      'data bits: 5|6|7|8 (default 8)',
      oneOf('--data-bits', [5, 6, 7, 8] as const, Number),
    )
    .option(
      '--parity <p>',
      'none|even|odd|mark|space (default none)',
      oneOf('--parity', ['none', 'even', 'odd', 'mark', 'space'] as const, String),
    )
    .option('--stop-bits <n>', '1|1.5|2 (default 1)', oneOf('--stop-bits', [1, 1.5, 2] as const, Number))
    .option('--model <file|id>', "the studio model the firmware's model is (ONNX file, model id or name)")
    .option('--dataset <name>', "dataset for accuracy runs (e.g. 'fashion-mnist')")
    .option('--input <HxWxC>', 'input byte format (uint8 HWC) when no --model says it, e.g. 32x32x3', hwc)
    .option(
      '--window-seconds <s>',
      'performance-mode window length (MLPerf Tiny: 10; shorter for quick looks)',
      seconds,
    )
    .option('--no-probe', 'save without talking to the board')
    .option('--json', 'machine-readable output')
    .action(async (o: AddFlags, cmd: Command) => {
      const studio = openStudio(cmd)
      const r = await addSerialDevice(
        studio,
        {
          name: o.name,
          path: o.path,
          ...(o.baud !== undefined ? { baudRate: o.baud } : {}),
          ...(o.dataBits !== undefined ? { dataBits: o.dataBits } : {}),
          ...(o.parity !== undefined ? { parity: o.parity } : {}),
          ...(o.stopBits !== undefined ? { stopBits: o.stopBits } : {}),
          ...(o.model !== undefined ? { model: o.model } : {}),
          ...(o.dataset !== undefined ? { dataset: o.dataset } : {}),
          ...(o.windowSeconds !== undefined ? { windowSeconds: o.windowSeconds } : {}),
          ...(o.input !== undefined ? { input: o.input } : {}),
          probe: o.probe,
        },
        interruptSignal(),
      )
      if (o.json) return printJson(r)
      printLine(`added serial device ${r.device.name} on ${o.path}`)
      if (r.info)
        printLine(`  board '${String(r.info.extra?.board)}', model id '${String(r.info.extra?.modelId)}'`)
      if (r.probeError) {
        process.stderr.write(
          `warning: saved, but the board did not answer: ${r.probeError.code}: ${r.probeError.message}\n`,
        )
      }
    })

  program
    .command('ports')
    .description('serial ports present on this machine')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const list = await listPorts()
      if (o.json) return printJson(list)
      if (list.note) process.stderr.write(`note: ${list.note}\n`)
      if (list.ports.length === 0)
        return printLine('no serial ports found (a path can still be given by hand)')
      printLine(
        table(
          ['path', 'manufacturer', 'serial', 'vid:pid'],
          list.ports.map((p) => [
            p.path,
            p.manufacturer ?? '',
            p.serialNumber ?? '',
            p.vendorId ? `${p.vendorId}:${p.productId ?? ''}` : '',
          ]),
        ),
      )
    })
}
