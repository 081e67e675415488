import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'handlers',
    include: ['tests/unit/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
