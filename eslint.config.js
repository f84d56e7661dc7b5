// Lint rules that enforce the conventions (../shared/CONVENTIONS.md) rather than leaving them to prose:
// kebab-case file names, the routes → service → store layering, no `export *`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import checkFile from 'eslint-plugin-check-file';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', fetch: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', document: 'readonly' } },
    plugins: { 'check-file': checkFile },
    rules: {
      'check-file/filename-naming-convention': ['error', { '**/!(migrations)/*.{ts,tsx,mjs,js}': 'KEBAB_CASE', '**/migrations/*.ts': '+([0-9])-+([a-z0-9-])' }, { ignoreMiddleExtensions: true }],
      'check-file/folder-naming-convention': ['error', { 'src/**/': 'KEBAB_CASE', 'test/**/': 'KEBAB_CASE' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Use named exports, not export *.' }],
    },
  },
  {
    // Services hold domain logic: no HTTP framework, no SQL builder.
    files: ['src/**/service.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['fastify', 'fastify-*', '@fastify/*', 'kysely', 'pg', 'better-sqlite3'], message: 'service.ts knows nothing of HTTP or SQL (CONVENTIONS "A domain folder").' }] }],
    },
  },
  {
    // Routes map HTTP onto the service; they never query the store.
    files: ['src/**/routes.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['./store.ts', '../*/store.ts', 'kysely'], message: 'routes.ts goes through the service, never the store.' }] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
