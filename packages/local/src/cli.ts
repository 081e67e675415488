#!/usr/bin/env node
// iam-m2m-local serve --assembly <cdk.out> --port <P> --state <file> [--account <12 digits>]
// iam-m2m-local start [--accounts one|two]   (this repository's app)
// iam-m2m-local access --assembly <cdk.out> [--account <12 digits>] [--json]
import { access } from './cli/access.js';
import { fail } from './cli/fail.js';
import { serve } from './cli/serve.js';
import { start } from './cli/start.js';

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { serve, start, access };

const [command = '', ...rest] = process.argv.slice(2).filter((arg) => arg !== '--');
const run = COMMANDS[command];
if (!run) fail(`unknown command ${JSON.stringify(command)}: use ${Object.keys(COMMANDS).join(' or ')}`);
await run(rest);
