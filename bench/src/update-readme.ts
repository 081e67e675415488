// pnpm --filter @iam-m2m/bench run readme: the README table again from bench/results.json, without re-running.
import { readFileSync } from 'node:fs';
import { type BenchResults, updateReadme } from './readme.js';

updateReadme(JSON.parse(readFileSync(new URL('../results.json', import.meta.url), 'utf8')) as BenchResults);
