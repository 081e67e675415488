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
    // Node 20 is what the machines run: the SDK's notice that its 2027 releases need Node 22 says nothing about these tests.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
