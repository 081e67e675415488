/**
 * The test projects. Vitest 4 no longer reads workspace files by itself:
 * `vitest.config.ts` imports this list as `test.projects`.
 */
export default ['packages/*/vitest.config.ts', 'bench/vitest.config.ts', 'e2e/vitest.config.ts'];
