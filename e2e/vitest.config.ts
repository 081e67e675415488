import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    setupFiles: ['../vitest.secrets.ts'],
    // Packing three packages, an offline npm install, `cdk synth` with two bundles, and a served app.
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
