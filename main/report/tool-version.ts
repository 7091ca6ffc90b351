/** The studio's version as package.json states it, found by walking up from this file. */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

/**
 * Walks up instead of a fixed relative path because this file runs from the sources (tsx) and from
 * the build output (out/main/report), at different depths.
 */
export function toolVersion(): string {
  if (cached !== undefined) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown
        version?: unknown
      }
      if (pkg.name === 'edgebench-studio' && typeof pkg.version === 'string') return (cached = pkg.version)
    } catch {
      // no package.json at this level: keep walking up
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return (cached = 'unknown')
}
