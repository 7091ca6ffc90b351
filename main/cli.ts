/**
 * `edgebench` — the engine headless. Exit status: 0 ok, 1 failure, 2 bad input (message on
 * stderr), 130 cancelled (Ctrl-C keeps the partial run as `cancelled`).
 */
import { Command, CommanderError, Option } from 'commander'
import { exitCodeFor, StudioError, toStudioError } from '../common/errors.js'
import { registerCompress } from './cli/commands-compress.js'
import { registerDemo } from './cli/commands-demo.js'
import { registerImport } from './cli/commands-import.js'
import { registerEarlyExit } from './cli/commands-early-exit.js'
import { registerDevice } from './cli/commands-device.js'
import { registerSerial } from './cli/commands-device-serial.js'
import { registerDeviceSsh } from './cli/commands-device-ssh.js'
import { registerMeasure } from './cli/commands-measure.js'
import { registerModels } from './cli/commands-models.js'
import { registerReport } from './cli/commands-report.js'
import { registerRuns } from './cli/commands-runs.js'
import { registerServe } from './cli/commands-serve.js'
import { defaultDbPath } from './paths.js'
import { closeStudio, interruptAll } from './cli/context.js'
import { ExitStatus } from './cli/output.js'
import { registerCheck } from './cli/commands-check.js'
import { registerRecommend } from './cli/commands-recommend.js'

function buildProgram(): Command {
  const program = new Command('edgebench')
    .description(
      'Benchmark efficient CNNs: latency, memory, size and accuracy, on this computer and on boards.',
    )
    .addOption(new Option('--db <file>', 'the studio database').default(undefined, defaultDbPath()))
    .option('-v, --verbose', 'log what the engine does (stderr)')
    .option('--password-stdin', "read an SSH board's password (or key passphrase) from stdin")
    .showHelpAfterError()
    .exitOverride()
  registerMeasure(program)
  registerModels(program)
  registerEarlyExit(program)
  registerDevice(program)
  registerSerial(program)
  registerDeviceSsh(program)
  registerCompress(program)
  registerImport(program)
  registerRuns(program)
  registerReport(program)
  registerDemo(program)
  registerServe(program)
  registerRecommend(program)
  registerCheck(program)
  return program
}

async function main(argv: string[]): Promise<number> {
  let stops = 0
  process.on('SIGINT', () => {
    stops += 1
    if (stops > 1) process.exit(130)
    process.stderr.write('\nCancelling… (Ctrl-C again to quit at once)\n')
    interruptAll(new StudioError('CANCELLED', 'Cancelled (Ctrl-C).'))
  })
  try {
    await buildProgram().parseAsync(argv)
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2
    }
    if (e instanceof ExitStatus) return e.status
    const err = toStudioError(e)
    process.stderr.write(`edgebench: ${err.code}: ${err.message}\n`)
    if (process.env.EDGEBENCH_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`)
    return exitCodeFor(err.code)
  } finally {
    await closeStudio()
  }
}

process.exitCode = await main(process.argv)
