// Lint: typescript-eslint's strict type-checked rules over every TypeScript file the type check reads
// (tsconfig.check.json). A rule is turned off or relaxed only here, with a one-line reason; inline
// disables are capped and each carries its reason (test/architecture.test.ts).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'var/**',
      'node_modules/**',
      'coverage/**',
      'test-artifacts/**',
      'scratch/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Allowed to start as a warning (issue 35); test/architecture.test.ts caps the count so it only goes down.
      '@typescript-eslint/no-non-null-assertion': 'warn',
      // Numbers and booleans print unambiguously in a message; objects, undefined and null still may not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `() => reply.send(x)` returning a void call is the house's shorthand for a callback.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // A leading underscore marks a binding left unused on purpose (a property dropped by a rest pattern).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // A variable a closure reads, assigned once after the closure is written ("let term" in the pipeline).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A rejection passes on the value that was caught, as it was (a driver's or a worker's error).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // An async method that implements a Promise-returning interface stays async so a throw is a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/engine-registry.ts', 'src/engines/**', 'src/**/*.test.ts'],
    rules: {
      // The house's own corridor: only the registry reaches into one engine's folder (test/architecture.test.ts too).
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '/engines/[^/]+/', message: 'import the engine registry or the port, not an engine' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests and benchmarks read JSON bodies (typed any by the HTTP clients) and assert on their shape: a wrong shape fails the assertion.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Tests probe values the types say cannot be missing, so a broken invariant fails with a readable message.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['scripts/**/*.mjs', 'eslint.config.js'], languageOptions: { globals: globals.node } },
  { files: ['src/web/static/**/*.js'], languageOptions: { globals: { ...globals.browser, Chart: 'readonly' } } },
);
