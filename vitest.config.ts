import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PyKMIP interop runs as its own suite (npm run test:interop); kill loops and
    // million-case fuzzing run in scripts/stress.sh with a time budget.
    // The user guide's examples run as their own suite too (npm run test:guide).
    exclude: ['test/interop/**', 'test/docs/guide.test.ts', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on processes they spawned (qkmd, libraries, tools), not on a core:
    // two at a time on a 2-core machine nearly halve the run; timing stays out of tests.
    maxWorkers: 2,
  },
});
