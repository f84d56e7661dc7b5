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
    // Domain logic (a service and the parts it composes) knows no HTTP framework and no SQL builder;
    // only a module's store.ts builds queries and only its routes.ts speaks HTTP.
    files: ['src/{accounts,rooms,runtime,connect,llm,bots,queue,bot-runner}/**/*.ts', 'src/matrix/*.ts'],
    // The queue's engine and PostgreSQL adapter hold the database handle they drive (Graphile Worker
    // needs `pg`); their SQL still lives in the queue's *-store.ts files.
    ignores: ['**/store.ts', '**/*-store.ts', '**/routes.ts', '**/*-routes.ts', 'src/rooms/pg-event-bus.ts', 'src/queue/engine.ts', 'src/queue/postgres/adapter.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['fastify', 'fastify-*', '@fastify/*', 'kysely', 'pg', 'better-sqlite3', 'node:sqlite'], message: 'Domain logic knows nothing of HTTP or SQL (CONVENTIONS "A domain folder").' },
        { group: ['../*/store.ts', '../*/store', '../*/*-store.ts'], message: "A module's SQL stays inside it: call its service (CONVENTIONS \"A module's SQL and row formats stay inside it\")." },
      ] }],
      // `foo: store.foo` in a service hands a query (and its Kysely handle) to other modules.
      'no-restricted-syntax': ['error',
        { selector: 'ExportAllDeclaration', message: 'Use named exports, not export *.' },
        { selector: "Property > MemberExpression.value[object.name='store']", message: "Don't re-export store functions from a service: wrap them in a domain operation." },
      ],
    },
  },
  {
    // Routes map HTTP onto the service; they never query the store, theirs or another module's.
    files: ['src/**/routes.ts', 'src/**/*-routes.ts', 'src/matrix/client/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['./store.ts', './*-store.ts', '../*/store.ts', '../*/*-store.ts', 'kysely'], message: 'routes.ts goes through the service, never the store.' }] }],
    },
  },
  {
    // The server shell and the CLI reach modules through their services, built in src/services.ts.
    files: ['src/server/**/*.ts', 'src/cli/**/*.ts', 'src/app.ts', 'src/main.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*/store.ts', './*/store.ts', '../*/*-store.ts', './*/*-store.ts'], message: 'Services are assembled in one place (src/services.ts); nothing else builds a store.' }] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
