// Lint rules, including the boundaries between folders that docs/architecture.md describes.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Folders that a folder of src/ must not import from, with the reason the linter prints. */
const boundaries = [
  {
    target: './src/mail',
    from: [
      './src/db',
      './src/http',
      './src/cases',
      './src/settings',
      './src/customers',
      './src/auth',
      './src/inbound',
      './src/outbound',
      './src/imap',
      './src/queue',
      './src/ops',
      './src/cli',
      './workers',
    ],
    message: 'src/mail is pure mail logic: no database, HTTP, queue or case code.',
  },
  {
    target: './src/cases',
    from: ['./src/http', './workers', './src/inbound', './src/outbound', './src/imap', './src/cli', './src/orders'],
    message:
      'src/cases owns case rules; callers reach it, not the other way round (side effects go through its hooks).',
  },
  {
    target: './src/orders',
    from: ['./src/http', './workers', './src/inbound', './src/outbound', './src/imap', './src/cli'],
    message: 'src/orders (order store, order cases) builds on src/cases; the edges and the inbound pipeline call it.',
  },
  {
    target: './src/projects',
    from: ['./src/http', './workers', './src/inbound', './src/outbound', './src/imap', './src/cli'],
    message: 'src/projects owns project rules; it may use case rules (the case link), never the edges above it.',
  },
  {
    target: './src/outbound',
    from: ['./src/http', './workers', './src/inbound', './src/imap', './src/cli'],
    message:
      'src/outbound is called by the edges and by hooks wired there: it implements the inbound and case hooks by their shape, never by importing inbound or HTTP code.',
  },
  {
    target: ['./src/inbox', './src/live'],
    from: ['./src/http', './workers', './src/inbound', './src/outbound', './src/imap', './src/cli'],
    message:
      'The staff inbox (thread, message views, presence, live events) is called by the edges, never the reverse.',
  },
  {
    target: './src/mailboxes',
    from: ['./src/http', './workers', './src/inbound', './src/outbound', './src/imap', './src/cli'],
    message:
      'src/mailboxes (the mailboxes table, secrets, OAuth2 sign-in) is used by the poller, the API and the sender, never the reverse.',
  },
  {
    target: './src/ops',
    from: [
      './src/http',
      './workers',
      './src/imap',
      './src/inbound',
      './src/outbound',
      './src/cases',
      './src/cli',
      './src/orders',
    ],
    message:
      'src/ops (metrics, health) is imported by every feature: it must not import them back. Shared keys live in src/queue.',
  },
  {
    target: './src/queue',
    from: [
      './src/db',
      './src/http',
      './workers',
      './src/cases',
      './src/inbound',
      './src/outbound',
      './src/imap',
      './src/ops',
      './src/mail',
      './src/cli',
    ],
    message: 'src/queue (queue names, job ids, backoff, Redis keys) is the bottom layer: it imports no feature code.',
  },
  {
    target: ['./src/settings', './src/customers', './src/auth', './src/db'],
    from: [
      './src/http',
      './workers',
      './src/cases',
      './src/inbound',
      './src/outbound',
      './src/imap',
      './src/cli',
      './src/orders',
    ],
    message: 'settings, customers, API keys and the database layer sit below the features that use them.',
  },
  {
    target: ['./src/inbound', './src/imap'],
    from: ['./src/http', './workers', './src/cli', './src/outbound'],
    message:
      'The mail pipeline is called by the edges; outbound side effects reach it as hooks wired in workers/, never by import.',
  },
  {
    target: './src',
    from: ['./workers', './test', './bench'],
    message: 'src/ is the core: process entry points, tests and benchmarks import it, never the reverse.',
  },
  {
    target: './src/web',
    from: ['./src/!(web)/**', './src/*.ts', './workers/**', './migrations/**', './bin/**'],
    message:
      'src/web is the staff inbox in the browser: it talks to the server over HTTP only and imports no server code.',
  },
  {
    target: ['./src/!(web)/**', './src/*.ts', './workers/**', './bin/**', './scripts/**'],
    from: './src/web',
    message: 'Server code must not import the browser app (src/web); the web process serves its built files.',
  },
  {
    target: './migrations',
    from: ['./src', './workers'],
    message: 'Migrations are frozen in time: they import nothing from the app.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  importX.flatConfigs.typescript,
  {
    files: ['**/*.ts'],
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: boundaries }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The staff inbox (src/web) runs in the browser, with its own tsconfig (JSX for Preact, the DOM's types).
    files: ['src/web/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './src/web/tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: boundaries }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Mail and outbound code match control characters on purpose: they strip or refuse them.
    files: ['src/mail/**/*.ts', 'src/outbound/safety.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    // Migrations are written against Kysely<any>: they must not depend on today's schema types.
    files: ['migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
