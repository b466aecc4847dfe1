import { defineConfig } from 'vitest/config';

/**
 * The user guide's examples, run against real qkmd processes (test/docs/guide.test.ts): a
 * suite of its own, since its chapters side by side keep both cores busy for over a
 * minute; the guide's conventions themselves stay in npm test (guide-blocks.test.ts).
 */
export default defineConfig({
  test: {
    include: ['test/docs/guide.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
