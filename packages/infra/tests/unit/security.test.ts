import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthApp, twoAccounts } from '../helpers/synth.js';

const layouts = [
  ['one account', {}],
  ['two accounts', twoAccounts],
] as const;

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  it.each(layouts)('%s: no unacknowledged finding', (_label, context) => {
    // Prepare
    const { app, outdir } = synthApp({ context, nag: true });

    // Act
    const synth = () => app.synth();

    // Assess
    expect(synth).not.toThrow();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        conclusion: string;
        violations: unknown[];
        suppressedViolations: { acknowledgedId: string; reason: string }[];
      }[];
    };
    const acknowledged = new Set<string>();
    for (const plugin of report.pluginReports) {
      expect(plugin.conclusion).toBe('success');
      expect(plugin.violations).toEqual([]);
      for (const suppressed of plugin.suppressedViolations) {
        expect(suppressed.reason.length).toBeGreaterThan(40);
        acknowledged.add(suppressed.acknowledgedId);
      }
    }
    // The acknowledgements the README lists, and no other.
    expect([...acknowledged].sort()).toEqual([
      'AwsSolutions::AwsSolutions-APIG2',
      'AwsSolutions::AwsSolutions-APIG3',
      'AwsSolutions::AwsSolutions-APIG6',
      'AwsSolutions::AwsSolutions-COG4',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'Serverless::Serverless-LambdaDLQ',
    ]);
  });

  it('does fail on a finding nobody acknowledged (the check can fail)', async () => {
    // Prepare
    const { Bucket } = await import('aws-cdk-lib/aws-s3');
    const { app, stacks } = synthApp({ nag: true });
    new Bucket(stacks[0] as never, 'Unacknowledged');

    // Act & Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});

const cfnLintPresent = spawnSync('cfn-lint', ['--version']).status === 0;

describe.skipIf(!cfnLintPresent)(
  cfnLintPresent ? 'cfn-lint over the synthesized templates' : 'cfn-lint: SKIPPED, cfn-lint is not installed',
  () => {
    it.each(layouts)('%s: no error or warning', (_label, context) => {
      // Prepare
      const { app, outdir } = synthApp({ context });
      app.synth();
      const templates = readdirSync(outdir)
        .filter((file) => file.endsWith('.template.json'))
        .map((file) => join(outdir, file));
      expect(templates.length).toBeGreaterThan(0);

      // Act
      // W3005 (DependsOn duplicating a GetAtt) is how CDK itself orders a function after its role.
      const run = () =>
        execFileSync('cfn-lint', ['--format', 'parseable', '--ignore-checks', 'W3005', '--', ...templates], {
          encoding: 'utf8',
        });

      // Assess: cfn-lint exits non-zero on any finding and prints it.
      expect(run).not.toThrow();
    });
  },
);
