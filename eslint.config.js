import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', '.data', 'drizzle', 'coverage', 'test-output'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only src/main.ts and test/support read process.env: pass configuration in.',
        },
      ],
    },
  },
  {
    // The sandbox's #releases page: plain browser modules, served as they are.
    files: ['src/sandbox/web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(['window', 'document', 'localStorage', 'fetch', 'EventSource', 'Node', 'CSS', 'setTimeout', 'clearTimeout', 'console', 'performance'].map((name) => [name, 'readonly'])),
    },
  },
  {
    files: ['src/main.ts', 'test/**', 'bench/**', 'drizzle.config.ts', 'vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
