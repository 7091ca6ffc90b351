import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'
import type { Plugin } from 'vite'
import { buildChildEntries } from './tools/build/child-entries.js'

/**
 * main → out/main, preload → out/preload, renderer → out/renderer (electron-vite's layout;
 * `electron-vite build --outDir <dir>` moves all three). out/main also gets the scripts main forks
 * (runner, engine worker) and the SSH agent, each self-contained (tools/build/child-entries.ts).
 */
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url))

function childEntries(): Plugin {
  let outDir = ''
  return {
    name: 'edgebench-child-entries',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir
    },
    async closeBundle() {
      await buildChildEntries(here('.'), outDir)
    },
  }
}

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin(), childEntries()],
    build: {
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
      target: 'es2022',
      chunkSizeWarningLimit: 1600,
      rollupOptions: { input: { index: here('./renderer/index.html') } },
    },
  },
})
