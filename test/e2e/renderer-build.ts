/**
 * The e2e suite and `npm run bench:ui` load the built renderer (out/renderer). This builds it once
 * when it is missing or older than any source it is made from, so a stale UI is never tested.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
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

/** Written after a production build: an older build without it may be a development one. */
const PRODUCTION_MARK = join(RENDERER_OUT, '.production-build')

export function rendererIsFresh(): boolean {
  const index = join(RENDERER_OUT, 'index.html')
  return existsSync(index) && existsSync(PRODUCTION_MARK) && statSync(index).mtimeMs >= sourcesMtime()
}

/** Builds out/renderer if needed; answers whether it built. */
export async function ensureRendererBuilt(): Promise<boolean> {
  if (rendererIsFresh()) return false
  // In a child with NODE_ENV=production: Vite builds for production only when NODE_ENV says so (or
  // is unset), and under vitest it is 'test' — which gave a development build of Vue (dev checks and
  // warnings, ~80 KiB more, a slower UI) that the e2e suite tested and bench:ui then timed as fresh.
  // (Setting it in-process is not enough: Vue's compiler is already loaded in its development form.)
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', join(ROOT, 'vite.config.renderer.ts'), '--logLevel', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build of the renderer exited with ${code}`))))
  })
  writeFileSync(PRODUCTION_MARK, 'built with NODE_ENV=production\n')
  return true
}
