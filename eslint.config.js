import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.sandbox/', 'dist/', 'coverage/', '.stryker-tmp*/', 'reports/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip|todo)$/]", message: 'No focused or skipped tests.' },
      ],
    },
  },
  {
    // Only shared/adapters (with the live factories in shared/app/live/ and the sandbox, which build the clients), infra and tests may touch the SDK.
    files: ['shared/domain/**/*.ts', 'functions/**/*.ts', 'shared/http/**/*.ts', 'shared/lambda/**/*.ts', 'shared/format/**/*.ts', 'shared/app/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*'], message: 'Only shared/adapters talks to AWS (shared/app/live/ and sandbox/ build the clients).' }] }],
    },
  },
);
