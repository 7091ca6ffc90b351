#!/usr/bin/env node
// The `edgebench` command. Runs the bundle `npm run build:cli` writes (out/cli/edgebench.mjs) when it
// is newer than every source file it was built from, else main/cli.ts through tsx, so it works right
// after `npm install` and never runs stale code. EDGEBENCH_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = join(import.meta.dirname, '..')
const bundle = join(root, 'out', 'cli', 'edgebench.mjs')

/** The newest mtime among the folders' files and the folders themselves (a deletion touches its folder). */
function newest(dir) {
  let t = statSync(dir).mtimeMs
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

function bundleIsFresh() {
  if (process.env.EDGEBENCH_FROM_SOURCE === '1' || !existsSync(bundle)) return false
  const sources = Math.max(
    ...['main', 'common', 'devices'].map((d) => newest(join(root, d))),
    ...['package.json', 'package-lock.json'].map((f) => (existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : 0)),
  )
  return statSync(bundle).mtimeMs >= sources
}

if (bundleIsFresh()) {
  await import(pathToFileURL(bundle).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../main/cli.ts')
}
