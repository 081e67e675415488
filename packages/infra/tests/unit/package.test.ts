// @iam-m2m/infra as a user installs it: the packed tarball in a fresh CDK app that imports its
// constructs and synthesizes. Offline: aws-cdk-lib and constructs are linked from this
// workspace instead of fetched (the tarball's files are put where npm would put them).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

const USER_APP = `
import { App, Stack } from 'aws-cdk-lib';
import { BundledFunction, IamFunctionUrl, IamHttpApi, IamRestApi } from '@iam-m2m/infra';

const app = new App({ outdir: 'cdk.out', context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'UserApp', { env: { account: '222222222222', region: 'eu-west-1' } });
const orders = new BundledFunction(stack, 'Orders', { entry: 'orders.mjs', depsLockFilePath: 'package-lock.json' });
new IamRestApi(stack, 'RestApi', { handler: orders.function, trustedAccounts: ['111111111111'] });
new IamFunctionUrl(stack, 'Url', { handler: orders.function, trustedAccounts: ['111111111111'] });
new IamHttpApi(stack, 'HttpApi', { handler: orders.function, trustedRoleArns: ['arn:aws:iam::111111111111:role/caller'] });
const { Resources } = app.synth().getStackByName('UserApp').template;
console.log(JSON.stringify(Object.values(Resources).map((resource) => resource.Type)));
`;

describe('the packed @iam-m2m/infra in a fresh CDK app', () => {
  let project = '';
  let files: string[] = [];
  let manifest: { exports?: unknown; private?: boolean } = {};

  beforeAll(() => {
    // Prepare: `pnpm pack` (its prepack builds dist), then the tarball's files into node_modules.
    const packs = mkdtempSync(join(tmpdir(), 'iam-m2m-infra-pack-'));
    execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: packageRoot, stdio: 'pipe' });
    const [tarball] = readdirSync(packs).filter((name) => name.endsWith('.tgz'));
    project = mkdtempSync(join(tmpdir(), 'iam-m2m-cdk-user-app-'));
    const installed = join(project, 'node_modules', '@iam-m2m', 'infra');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(packs, tarball ?? ''), '-C', installed, '--strip-components=1']);
    files = execFileSync('tar', ['-tzf', join(packs, tarball ?? '')], { encoding: 'utf8' })
      .trim()
      .split('\n');
    manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const name of ['aws-cdk-lib', 'constructs']) {
      symlinkSync(join(packageRoot, 'node_modules', name), join(project, 'node_modules', name), 'dir');
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: {} }));
    writeFileSync(join(project, 'orders.mjs'), 'export const handler = async () => ({ statusCode: 200 });\n');
    writeFileSync(join(project, 'app.mjs'), USER_APP);
  }, 180_000);

  it('holds the built constructs with their types, and none of the repository app', () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.exports).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
    expect(files).toEqual(
      expect.arrayContaining(['package/dist/index.js', 'package/dist/index.d.ts', 'package/README.md']),
    );
    expect(
      files.filter((file) => !/^package\/(dist\/[\w-]+\.(js|d\.ts)|README\.md|package\.json)$/.test(file)),
    ).toEqual([]);
    // The repository's app finds its root at import time: it stays out of the package.
    expect(files.some((file) => /handler-function|stacks|requestor/.test(file))).toBe(false);
  });

  it('a user app imports IamRestApi, IamFunctionUrl, IamHttpApi and BundledFunction and synthesizes', () => {
    // Act
    const output = execFileSync(process.execPath, ['app.mjs'], { cwd: project, encoding: 'utf8' });

    // Assess
    const types = JSON.parse(output.trim().split('\n').at(-1) ?? '[]') as string[];
    expect(types).toEqual(
      expect.arrayContaining([
        'AWS::Lambda::Function',
        'AWS::ApiGateway::RestApi',
        'AWS::Lambda::Url',
        'AWS::ApiGatewayV2::Api',
        'AWS::ApiGatewayV2::Route',
        'AWS::ApiGatewayV2::Stage',
        'AWS::IAM::Role',
      ]),
    );
    expect(types.filter((type) => type === 'AWS::Lambda::Url')).toHaveLength(1);
    expect(existsSync(join(project, 'cdk.out', 'UserApp.template.json'))).toBe(true);
    const template = readFileSync(join(project, 'cdk.out', 'UserApp.template.json'), 'utf8');
    // Both function-URL permissions for the trusted account, and the HTTP API's caller role trusting the role.
    expect(template).toContain('"InvokedViaFunctionUrl": true');
    expect(template).toContain('arn:aws:iam::111111111111:role/caller');
  });
});
