import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCredentialSource } from '../../scripts/aws-credentials.js';
import { contextArgs, infraDir } from '../../scripts/cdk.js';

const emptyHome = () => mkdtempSync(join(tmpdir(), 'iam-m2m-home-'));

/** Runs a script as `pnpm --filter infra run <script>` would, with only PATH and HOME set. */
const runScript = (script: string, args: string[] = [], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join('scripts', script), ...args], {
    cwd: infraDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: emptyHome(), ...env },
  });

describe('finding AWS credentials without the network', () => {
  it.each([
    [{ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, 'AWS_ACCESS_KEY_ID'],
    [{ AWS_PROFILE: 'dev' }, 'profile dev'],
    [{ AWS_WEB_IDENTITY_TOKEN_FILE: '/var/token' }, 'AWS_WEB_IDENTITY_TOKEN_FILE'],
    [{ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials' }, 'container credentials'],
    [{ AWS_ACCESS_KEY_ID: 'AKIA' }, undefined],
    [{}, undefined],
  ])('%j → %s', (env, expected) => {
    expect(findCredentialSource(env, emptyHome())).toBe(expected);
  });

  it('finds ~/.aws/credentials', () => {
    // Prepare
    const home = emptyHome();
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\n');

    // Act & Assess
    expect(findCredentialSource({}, home)).toBe(join(home, '.aws', 'credentials'));
  });
});

describe('scripts without credentials', () => {
  it.each(['deploy.ts', 'invoke.ts'])('%s stops with one clear line and exit 1, before any synth', (script) => {
    // Act
    const result = runScript(script, script === 'invoke.ts' ? ['requestor'] : []);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/needs AWS credentials and found none: set AWS_PROFILE/);
  });

  it('invoke names the functions it knows when given another', () => {
    // Act
    const result = runScript('invoke.ts', ['nope']);

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe('invoke: say which function: requestor or hello-world (got "nope").');
  });
});

describe('context arguments', () => {
  it('reads -c, --context and --context= forms', () => {
    expect(
      contextArgs(['-c', 'apiAccount=1', '--context', 'region=eu-west-1', '--context=requestorAccount=2', 'x']),
    ).toEqual({
      apiAccount: '1',
      region: 'eu-west-1',
      requestorAccount: '2',
    });
  });
});
