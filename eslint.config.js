// ESLint (flat config), run by `make lint` together with `prettier --check` (layout is Prettier's
// business, not ESLint's). Type-aware rules are on for every file: ~20 s for the whole repo on 2 cores.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const code = ['apps', 'libs', 'tools'].flatMap((dir) => [`${dir}/**/*.ts`, `${dir}/**/*.js`, `${dir}/**/*.mjs`]);

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', '**/.nx/', '**/.data/', '**/coverage/', 'tmp/', 'libs/tenant-config/schemas/*.json']),
  {
    files: code,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        // Each file is typed by the tsconfig.json of its project (apps/*, libs/*, tools/*); the few
        // files outside those (listed here) by tsconfig.base.json's options.
        projectService: {
          allowDefaultProject: ['tools/bundle/*.mjs', 'tools/bundle/test/*.ts', 'libs/tenant-config/schemas/*.ts'],
          defaultProject: 'tsconfig.base.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Type-aware: bugs tsc lets through (a promise nobody awaits, an async callback where a plain one
      // is expected, await on a non-promise, for-in over an array, eval through strings, delete on arrays).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      'no-implied-eval': 'off',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/no-array-delete': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // A CommonJS package ("type": "commonjs" in its package.json): Nx require()s its plugin.
    files: ['tools/nx-plugin/src/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read parsed JSON and command output: `any` is fine there (it is an error everywhere else).
    files: ['**/test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
