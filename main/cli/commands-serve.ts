/** `edgebench serve [--port N]`: the studio's UI in a browser, on 127.0.0.1, until Ctrl-C. */
import type { Command } from 'commander'
import { runBrowserMode } from '../server/browser-mode.js'
import { interruptSignal, openStudio } from './context.js'
import { printLine } from './output.js'
import { intOption } from './run-helpers.js'

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the studio UI to a browser on this computer (127.0.0.1 only, with a token)')
    .option('--port <n>', 'port to listen on (default: a free one)', intOption('--port', 0))
    .option('--renderer <dir>', 'the built UI to serve (default: out/renderer)')
    .action(async (opts: { port?: number; renderer?: string }, cmd: Command) => {
      const studio = openStudio(cmd)
      await runBrowserMode({
        studio,
        print: printLine,
        signal: interruptSignal(),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.renderer !== undefined ? { rendererDir: opts.renderer } : {}),
      })
    })
}
