/**
 * `npm run build:cli`: the `edgebench` command bundled into out/cli/edgebench.mjs, with the scripts
 * it forks (runner, engine worker) and the SSH agent beside it, as the desktop build lays them out.
 * bin/edgebench.mjs runs this bundle while it is newer than every source file, else the sources
 * under tsx: a bundled start is about 1 s shorter per command (2.5 s instead of 4.9 s for a short
 * `bench`), which the test suite, spawning the CLI over a hundred times, feels.
 */
import { build } from 'esbuild'
import { join, resolve } from 'node:path'
import { buildChildEntries } from './child-entries.js'

const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

export async function buildCli(root: string): Promise<string> {
  const outDir = join(root, 'out', 'cli')
  const outfile = join(outDir, 'edgebench.mjs')
  // Children first: the CLI bundle's mtime is what marks the whole folder fresh.
  await buildChildEntries(root, outDir)
  await build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    legalComments: 'none',
    absWorkingDir: root,
    entryPoints: ['main/cli.ts'],
    outfile,
    // Dependencies load from node_modules as they do under tsx (natives, sharp's loader, tsx itself).
    packages: 'external',
    banner: { js: REQUIRE_SHIM },
  })
  return outfile
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await buildCli(resolve(import.meta.dirname, '../..'))
}
