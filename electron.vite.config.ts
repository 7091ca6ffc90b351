import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'

/** main → out/main, preload → out/preload, renderer → out/renderer (electron-vite's layout). */
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: here('./out/main'),
      rollupOptions: {
        input: { index: here('./main/app/index.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    // A sandboxed preload must be CommonJS (out/preload/index.cjs), whatever the package type.
    build: {
      outDir: here('./out/preload'),
      rollupOptions: {
        input: { index: here('./preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: here('./renderer'),
    base: './',
    plugins: [vue()],
    build: {
      outDir: here('./out/renderer'),
      target: 'es2022',
      chunkSizeWarningLimit: 1600,
      rollupOptions: { input: { index: here('./renderer/index.html') } },
    },
  },
})
