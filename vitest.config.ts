import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Shared 2-core machines: keep the worker count modest so timing-sensitive suites stay calm.
    maxWorkers: 2,
    // Lambda runs Node 22+; tests may run on Node 20, which the AWS SDK warns about at every client.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
