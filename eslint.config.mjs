// ESLint with typescript-eslint's type-aware rules: `npm run lint`, run by `npm test` and so by
// CI, must report nothing. Rules that matter here, and why, are in docs/development.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', '.tools/', '.premem/', 'test-results/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error: every one is awaited, returned, or marked `void`.
      // (node:test's describe/test return promises the runner itself awaits.)
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      // Only `import type` for types: the bundles then never load a module for its types.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // `any` hides the shape of untrusted data (files, webview messages): parse it, never assume it.
      '@typescript-eslint/no-explicit-any': 'error',
      // Exact figures: == would compare a string "0.5" equal to 0.5.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Unused names are errors in tsc already (noUnusedLocals); underscores mark deliberate ones.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Layering: only src/extension may import vscode (checked for src/ by test/unit/commands.test.ts too).
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'only src/extension imports vscode' }] }],
    },
  },
  {
    files: ['src/extension/**/*.ts', 'test/e2e/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
