import { defineConfig } from 'vitest/config';

/** Interop with clients and servers we did not write (PyKMIP). Needs Debian's python3-pykmip. */
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
