import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

/**
 * The renderer alone, built into out/renderer: what browser mode (`edgebench serve`) serves and
 * what the e2e tests and `npm run bench:ui` load. electron.vite.config.ts builds the same renderer
 * together with main and preload for the desktop shell.
 */
const root = fileURLToPath(new URL('./renderer', import.meta.url))

export default defineConfig({
  root,
  base: './',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1600,
    reportCompressedSize: false,
  },
})
