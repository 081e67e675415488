import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'handlers',
    include: ['tests/unit/**/*.test.ts'],
    setupFiles: ['../../vitest.secrets.ts'],
    testTimeout: 20_000,
  },
});
