// Layers are enforced here (docs/architecture.md, "Who may import whom"):
//   common ← devices ← main engines ← main/studio.ts ← main/api ← main/{app,server,cli}
//   renderer → common only; preload → electron + common; only main/app and preload import electron.
import pluginVue from 'eslint-plugin-vue'
import tseslint from 'typescript-eslint'

const outer = (what) => `an engine module must not import ${what}: pass what it needs in (see docs/architecture.md)`
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { paths: ['electron'], patterns }] })

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      '.tmp/**',
      'resources/**',
      'edgebench-report/**',
      'test-results/**',
      'tools/zoo/.cache/**',
    ],
  },
  ...tseslint.configs.recommended,
  // .vue files: parsed as Vue SFCs with TypeScript in <script setup>; Vue's essential rules only.
  ...pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
    // vue-tsc (npm run typecheck:web) already proves every path of a typed computed returns.
    rules: { 'vue/return-in-computed-property': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', '**/main/**', '**/devices/**', '**/renderer/**', '**/preload/**', 'electron'], message: 'common/ imports nothing outside common/ (no Node, no DOM).' }] },
      ],
    },
  },
  {
    files: ['devices/**/*.ts'],
    rules: restrict([{ group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'devices/ may import common/ only.' }]),
  },
  {
    // The engines: model, compress, data, bench, store, report, secrets and the small top-level helpers.
    files: ['main/**/*.ts'],
    ignores: ['main/studio.ts', 'main/serial-setup.ts', 'main/cli.ts', 'main/api/**', 'main/app/**', 'main/server/**', 'main/cli/**'],
    rules: restrict([
      { group: ['**/studio.js', '**/serial-setup.js'], message: outer('the Studio facade') },
      { group: ['**/api/*', '**/app/*', '**/server/*', '**/cli/*', '**/cli.js'], message: outer('a transport (api/app/server/cli)') },
      { group: ['**/renderer/**', '**/preload/**'], message: 'main/ never imports the renderer or the preload.' },
    ]),
  },
  {
    files: ['main/studio.ts', 'main/serial-setup.ts', 'main/api/**/*.ts'],
    rules: restrict([
      { group: ['**/app/*', '**/server/*', '**/cli/*', '**/cli.js'], message: 'the facade and the API handlers are transport-independent: no app/server/cli imports.' },
      { group: ['**/renderer/**', '**/preload/**'], message: 'main/ never imports the renderer or the preload.' },
    ]),
  },
  {
    files: ['main/server/**/*.ts', 'main/cli/**/*.ts', 'main/cli.ts'],
    rules: restrict([
      { group: ['**/app/*'], message: 'only the Electron shell lives in main/app; server and CLI run under plain Node.' },
      { group: ['**/renderer/**', '**/preload/**'], message: 'main/ never imports the renderer or the preload.' },
    ]),
  },
  {
    files: ['main/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/server/*', '**/cli/*', '**/renderer/**'], message: 'the shell speaks IPC only: it uses main/api, not the server or CLI.' }] }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.vue'],
    rules: restrict([{ group: ['**/main/**', '**/devices/**', '**/preload/**', 'node:*'], message: 'the renderer imports common/ (types) only and reaches main through renderer/src/api.' }]),
  },
  {
    files: ['main/cli.ts', 'main/log.ts', 'tools/**/*.ts', 'test/**/*.ts', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
)
