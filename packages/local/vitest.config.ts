import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'local',
    include: ['tests/unit/**/*.test.ts'],
    setupFiles: ['../../vitest.secrets.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
