/** Chart.js's UMD build, read from node_modules once, to be inlined into self-contained reports. */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { StudioError } from '../../common/errors.js'

let cached: Promise<string> | undefined

async function load(): Promise<string> {
  // chart.js's "exports" map hides dist/, so resolve the package entry and look beside it.
  const entry = createRequire(import.meta.url).resolve('chart.js')
  const dist = dirname(entry)
  try {
    return await readFile(join(dist, 'chart.umd.js'), 'utf8')
  } catch {
    return await readFile(join(dist, 'chart.umd.min.js'), 'utf8')
  }
}

/** The UMD source (defines the global `Chart`). */
export function chartJsSource(): Promise<string> {
  cached ??= load().catch((e: unknown) => {
    cached = undefined
    const why = e instanceof Error ? e.message : String(e)
    throw new StudioError(
      'INTERNAL',
      `Cannot read Chart.js for the HTML report (${why}). Reinstall the studio's dependencies with npm install.`,
      { cause: e },
    )
  })
  return cached
}
