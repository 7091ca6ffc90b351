import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

/**
 * Files whose assertions depend on timing (a simulated board's clock within 0.5 %, a rerun judged
 * against a stored run): they run last, one file at a time, on a machine the rest of the suite has
 * left. Everything else runs two files at once (the machines have two cores; most tests wait on
 * child processes, sshd, Chromium or the disk).
 */
const TIMED = ['test/devices/serial/**/*.test.ts', 'test/cli/serial-cli.test.ts', 'test/cli/recommend-check.test.ts', 'test/devices/local/measure.test.ts']

export default defineConfig({
  // .vue single-file components in test/renderer (component tests run under happy-dom per file).
  plugins: [vue()],
  test: {
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'parallel', include: ['test/**/*.test.ts'], exclude: TIMED, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'timed', include: TIMED, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
})
