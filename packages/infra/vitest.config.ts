import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'infra',
    include: ['tests/unit/**/*.test.ts'],
    setupFiles: ['../../vitest.secrets.ts'],
    // CDK synthesis and the one real bundling take seconds on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
