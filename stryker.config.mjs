/**
 * Mutation testing (`npm run mutation`, not part of `npm test`): StrykerJS with its vitest runner,
 * over the domain (state transitions, money rules, signatures, isolation) and the adapters'
 * request builders. The tests it runs are the fast tiers (vitest.mutation.config.ts); results and
 * the surviving mutants that matter are recorded in docs/reliability.md.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'shared/domain/**/*.ts',
    'shared/adapters/link-store.ts',
    'shared/adapters/event-bus.ts',
    'shared/adapters/ses-mailer.ts',
    'shared/adapters/sns-sms.ts',
    'shared/adapters/sqs-queue.ts',
    'shared/adapters/step-functions.ts',
    'shared/adapters/stream-records.ts',
    'shared/adapters/suppression-list.ts',
    'shared/adapters/dynamodb.ts',
  ],
  // Two cores: one runner per core.
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // Not copied into the sandbox: other runs' temp dirs, the sandbox's data, CDK output, scratch files.
  ignorePatterns: ['/.stryker-tmp*', '/.sandbox', '/cdk.out', '/.scratch'],
  thresholds: { high: 80, low: 60, break: null },
  ignoreStatic: true,
};
