import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each own a database and a queue prefix; two at a time suits a 2-core machine.
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
