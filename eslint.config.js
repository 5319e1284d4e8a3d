import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // examples/deno-kv is Deno code (Deno's globals, no Node types): its test runs `deno lint` on it.
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'examples/deno-kv/'] },
  js.configs.recommended,
  { languageOptions: { globals: globals.node } },
  // TypeScript: typescript-eslint's strict rules with type information.
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Numbers, booleans and a missing value read well in messages; objects still may not
      // (they would print as "[object Object]").
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Left off, and why:
      // - With noUncheckedIndexedAccess every index read is `T | undefined`; `!` is how the
      //   code says "checked just above" (an index from the same loop, a regex group that matched).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // - Stores implement a promise-returning contract; an `async` method without `await`
      //   turns a synchronous throw into a rejection, which is what callers handle.
      '@typescript-eslint/require-await': 'off',
      // - Options, session controls and stored data also come from JavaScript callers and from
      //   the wire, where the declared types are not enforced: the checks the type checker
      //   calls unnecessary (a typeof on an option, Boolean() on a flag) are the validation.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      // - Session data is a record keyed by the application's field names: deleting a field
      //   by its name is the operation, not an accident.
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
  // The library's own code stays in pieces a reader can hold: a function that takes more
  // than four parameters wants an object that names them (the engine's CommitPlan), and a
  // file or a function past these sizes has more than one job.
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-params': ['error', 4],
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  // The request path's layers, where a long function hides a decision: none over 40 lines.
  {
    files: ['src/{core,engine,accounts,lock,compose,adapters,codec,crypto,encryption,forms}/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 40, skipBlankLines: true, skipComments: true }] },
  },
  // JavaScript (the benchmark scripts): the recommended rules, without type information.
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
