/**
 * The e2e suite and `npm run bench:ui` load the built renderer (out/renderer). This builds it once
 * when it is missing or older than any source it is made from, so a stale UI is never tested.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const RENDERER_OUT = join(ROOT, 'out/renderer')

function newestMtime(path: string): number {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)))
  return newest
}

/** Sources the bundle depends on: the renderer, the shared contract/formatting, the build config. */
function sourcesMtime(): number {
  return Math.max(
    newestMtime(join(ROOT, 'renderer')),
    newestMtime(join(ROOT, 'common')),
    newestMtime(join(ROOT, 'vite.config.renderer.ts')),
    newestMtime(join(ROOT, 'package-lock.json')),
  )
}

export function rendererIsFresh(): boolean {
  const index = join(RENDERER_OUT, 'index.html')
  return existsSync(index) && statSync(index).mtimeMs >= sourcesMtime()
}

/** Builds out/renderer if needed; answers whether it built. */
export async function ensureRendererBuilt(): Promise<boolean> {
  if (rendererIsFresh()) return false
  const { build } = await import('vite')
  await build({ configFile: join(ROOT, 'vite.config.renderer.ts'), logLevel: 'warn' })
  return true
}
