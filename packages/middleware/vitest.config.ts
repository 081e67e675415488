import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'middleware',
    include: ['tests/unit/**/*.test.ts'],
    setupFiles: ['../../vitest.secrets.ts'],
    typecheck: {
      enabled: true,
      include: ['tests/types/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: 20_000,
  },
});
