/**
 * The app icon: resources/icon.svg rendered by sharp to build/icon.png (1024×1024), which
 * electron-builder turns into each platform's format (.icns, .ico, the Linux PNG sizes).
 * Run by `npm run dist` (npm run icon); the PNG is generated, not committed.
 */
import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import sharp from 'sharp'

export async function renderIcon(root: string, out = join(root, 'build', 'icon.png')): Promise<string> {
  mkdirSync(dirname(out), { recursive: true })
  await sharp(join(root, 'resources', 'icon.svg'), { density: 96 }).resize(1024, 1024).png().toFile(out)
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await renderIcon(resolve(import.meta.dirname, '../..'))
  process.stdout.write(`${out}\n`)
}
