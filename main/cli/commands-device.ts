/**
 * `device list|show|probe|remove` and the `device add <kind>` family. Each device kind adds its
 * own `add` subcommand (see the register functions below), so this file stays kind-neutral.
 */
import type { Command } from 'commander'
import { StudioError } from '../../common/errors.js'
import { LOCAL_DEVICE } from '../bench/device-registry.js'
import { removeDevice } from '../bench/ssh-boards.js'
import { openStudio } from './context.js'
import { printJson, printLine, table } from './output.js'

export function registerDevice(program: Command): void {
  const device = program.command('device').description('devices: this computer, SSH and serial boards')
  device
    .command('list')
    .description('every registered device')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const studio = openStudio(cmd)
      const rows = studio.store.listDevices()
      if (opts.json) return printJson(rows)
      printLine(
        table(
          ['name', 'kind', 'last probe'],
          rows.map((d) => [d.name, d.kind, d.info ? d.updatedAt : 'never']),
        ),
      )
    })
  for (const verb of ['show', 'probe'] as const) {
    device
      .command(`${verb} <name>`)
      .description(verb === 'show' ? 'a device record and its last probe' : 'probe a device now')
      .option('--json', 'machine-readable output')
      .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
        const studio = openStudio(cmd)
        const row = studio.store.getDevice(name)
        if (!row) throw new StudioError('NOT_FOUND', `No device named '${name}'. See 'edgebench device list'.`)
        const info = verb === 'probe' || !row.info ? await studio.probe(name) : row.info
        if (opts.json) return printJson({ ...row, info })
        printLine(JSON.stringify(info, null, 2))
      })
  }
  device
    .command('remove <name>')
    .description('forget a device (its past runs stay, under its name)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      if (name === LOCAL_DEVICE) throw new StudioError('BAD_INPUT', 'This computer cannot be removed.')
      // Also forgets the device's secrets and closes its connection.
      await removeDevice(openStudio(cmd), name)
      if (opts.json) return printJson({ removed: name })
      printLine(`removed ${name}`)
    })
  device.command('add').description('register a board: `device add ssh …` or `device add serial …`')
}

/** The `device add` command, for kinds to hang their subcommand on. */
export function deviceAddCommand(program: Command): Command {
  const device = program.commands.find((c) => c.name() === 'device')
  const add = device?.commands.find((c) => c.name() === 'add')
  if (!add) throw new Error('registerDevice must run before a device kind registers its add command')
  return add
}
