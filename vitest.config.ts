import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Kill-loop and fuzz budgets live in scripts run by .ci/run, not here.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
