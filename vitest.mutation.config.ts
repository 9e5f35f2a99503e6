/**
 * The tests `npm run mutation` runs against each mutant: the unit tier and the in-process
 * integration tests on dynalite (no HTTP sandbox, no browser), so a run fits on two cores.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/handlers-on-dynalite.test.ts'],
    // Checks the source files' shape (lengths, imports), which Stryker's instrumentation changes.
    exclude: ['test/unit/architecture.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
