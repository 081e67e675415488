import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { readConfig } from '../../src/config.js';
import { buildApp } from '../../src/stacks.js';

export interface SynthOptions {
  context?: Record<string, unknown>;
  /** Bundle the Lambdas for real (slow); otherwise bundling is skipped. @default false */
  bundle?: boolean;
  /** Run cdk-nag's AwsSolutions and Serverless packs. @default false */
  nag?: boolean;
}

/** Builds the app as `bin/app.ts` does, into a fresh temporary cloud assembly. */
export function synthApp(options: SynthOptions = {}): { app: App; stacks: Stack[]; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'iam-m2m-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...options.context,
      // An empty list skips bundling of every stack (unit tests); '**' bundles them all.
      'aws:cdk:bundling-stacks': options.bundle ? ['**'] : [],
      // What the CLI sets: templates name their asset folders (the local stack reads them too).
      'aws:cdk:enable-asset-metadata': true,
    },
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const stacks = buildApp(app, readConfig(app.node));
  return { app, stacks, outdir };
}

export const templateOf = (stack: Stack | undefined): Template => {
  if (!stack) throw new Error('no such stack');
  return Template.fromStack(stack);
};

export const twoAccounts = { apiAccount: '222222222222', requestorAccount: '111111111111', region: 'eu-west-1' };
