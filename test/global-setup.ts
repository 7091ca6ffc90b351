/**
 * Once before the suite: the CLI bundle and the children it forks (npm run build:cli, ~1.5 s), so
 * tests that spawn `edgebench` run the bundle (bin/edgebench.mjs takes it while it is fresh) and
 * tests that fork a runner or engine worker in-process start the built child instead of the sources
 * under tsx (EDGEBENCH_CHILD_DIR, inherited by the test workers). Each start is about a second
 * shorter; the suite starts a few hundred. EDGEBENCH_FROM_SOURCE=1 keeps everything on the sources.
 */
import { dirname, resolve } from 'node:path'
import { buildCli } from '../tools/build/cli.js'

export default async function setup(): Promise<void> {
  // Once per run, though each project of vitest.config.ts calls it.
  if (process.env.EDGEBENCH_FROM_SOURCE === '1' || process.env.EDGEBENCH_CHILD_DIR) return
  const root = resolve(import.meta.dirname, '..')
  const bundle = await buildCli(root)
  process.env.EDGEBENCH_CHILD_DIR = dirname(bundle)
}
