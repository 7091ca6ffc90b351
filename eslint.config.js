// Layers are enforced here: only main/app and preload may import electron; common imports nobody.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      '.tmp/**',
      'resources/**',
      'edgebench-report/**',
      'test-results/**',
      'tools/zoo/.cache/**',
    ],
  },
  ...tseslint.configs.recommended,
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
        { patterns: ['node:*', '../main/*', '../devices/*', '../renderer/*', 'electron'] },
      ],
    },
  },
  {
    files: ['devices/**/*.ts', 'main/**/*.ts', 'renderer/**/*.ts'],
    ignores: ['main/app/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'] }] },
  },
  {
    files: ['main/cli.ts', 'main/log.ts', 'tools/**/*.ts', 'test/**/*.ts', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
)
