/**
 * `edgebench serve` and the offline fallback of `npm start`: the zoo is imported, the server
 * started, its URL (with the token) printed, and everything closed again when `signal` aborts.
 */
import { join } from 'node:path'
import { toStudioError } from '../../common/errors.js'
import { appRoot } from '../paths.js'
import type { Studio } from '../studio.js'
import { startServer, type RunningServer } from './server.js'

export function defaultRendererDir(): string {
  return join(appRoot(), 'out', 'renderer')
}

export interface BrowserModeOptions {
  studio: Studio
  port?: number
  rendererDir?: string
  /** Where the URL and notes go (one line each); the CLI passes stdout. */
  print: (line: string) => void
  /** Aborting it stops the server. */
  signal: AbortSignal
  /** Called once the server listens (tests, `npm start`). */
  onListening?: (server: RunningServer) => void
}

/** Runs until `signal` aborts; resolves after the server has closed. */
export async function runBrowserMode(opts: BrowserModeOptions): Promise<void> {
  try {
    await opts.studio.ensureZoo()
  } catch (e) {
    // A damaged zoo must not keep the user's own models and runs out of reach.
    opts.print(`Note: the bundled models could not be loaded (${toStudioError(e).message}).`)
  }
  const server = await startServer({
    studio: opts.studio,
    rendererDir: opts.rendererDir ?? defaultRendererDir(),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    logger: opts.studio.logger,
  })
  opts.print(`EdgeBench Studio is running in browser mode: ${server.url}`)
  opts.print('Open that URL in a browser on this computer (the token in it is your key). Ctrl-C stops the server.')
  opts.onListening?.(server)
  try {
    await new Promise<void>((resolveStop) => {
      if (opts.signal.aborted) return resolveStop()
      opts.signal.addEventListener('abort', () => resolveStop(), { once: true })
    })
  } finally {
    await server.close()
  }
}
