import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createIamClient } from '@iam-m2m/middleware';
import { inject } from 'vitest';
import { LocalStack, type LocalStackOptions, type LocalState } from '../../src/stack.js';

export type Principal = LocalState['principals'][number];

/** The principal of that name in the state, or a failed test. */
export function principal(state: LocalState, name: string): Principal {
  const found = state.principals.find((p) => p.name === name);
  if (!found) throw new Error(`no principal ${name} in the state`);
  return found;
}

/** The environment an AWS CLI or SDK process needs to act as `principal` (and nothing else of ours). */
export const awsEnvironment = (who: Principal, region: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_ACCESS_KEY_ID: who.accessKeyId,
  AWS_SECRET_ACCESS_KEY: who.secretAccessKey,
  AWS_SESSION_TOKEN: who.sessionToken,
  AWS_REGION: region,
  AWS_DEFAULT_REGION: region,
});

/** A signing client for a principal of the local stack (the middleware under its real use). */
export const clientFor = (state: LocalState, name: string, service?: string) =>
  createIamClient({ credentials: principal(state, name), region: state.region, service, maxAttempts: 1 });

/** Starts the local stack on an assembly (or several apps'), functions' output discarded; `options` adds to that (a decisions sink…). */
export async function startStack(
  assemblyDir: string | string[],
  options: Omit<LocalStackOptions, 'assemblyDir'> = {},
): Promise<{ stack: LocalStack; state: LocalState; url: string }> {
  const stack = await LocalStack.start({ assemblyDir, functionOutput: 'ignore', ...options });
  const state = stack.state();
  return { stack, state, url: state.apis[0]?.url ?? '' };
}

/**
 * A function with inline (`ZipFile`) code under a role of the template, for a test that adds one
 * to an edited assembly; `properties` adds to its defaults (nodejs22.x, `index.handler`).
 */
export const inlineFunction = (code: string, role: string, properties: Record<string, unknown> = {}) => ({
  Type: 'AWS::Lambda::Function',
  Properties: {
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Role: { 'Fn::GetAtt': [role, 'Arn'] },
    Code: { ZipFile: code },
    ...properties,
  },
});

/**
 * A copy of an assembly with one stack's template edited: what a policy mistake or a fault
 * in the deployed app would look like.
 */
export function editedAssembly(
  assemblyDir: string,
  stackName: string,
  edit: (template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }) => void,
): string {
  // Under the run's scratch folder, which the global teardown removes: copies are megabytes each.
  const copy = mkdtempSync(join(inject('scratchRoot'), 'edited-'));
  cpSync(assemblyDir, copy, { recursive: true });
  const file = join(copy, `${stackName}.template.json`);
  const template = JSON.parse(readFileSync(file, 'utf8'));
  edit(template);
  writeFileSync(file, JSON.stringify(template));
  return copy;
}

/**
 * An AWS-shaped error answer: status, error type header and message (`message` or `Message`
 * in a JSON body, as each AWS service writes it; the text of a plain-text answer).
 */
export async function awsError(response: Response): Promise<{ status: number; type: string | null; message: string }> {
  const text = await response.text();
  let message = text;
  try {
    const body = JSON.parse(text) as { message?: string; Message?: string };
    message = body.message ?? body.Message ?? '';
  } catch {
    // plain text, as API Gateway's front end answers oversized requests
  }
  return { status: response.status, type: response.headers.get('x-amzn-errortype'), message };
}

/** A method ARN as AWS shows it in a denial: the API's account masked but its last four digits. */
export const maskedAccount = (accountId: string): string => `********${accountId.slice(-4)}`;

/**
 * The fast-check seed: fixed by default so CI is reproducible; `FC_SEED=<n>` replays a run,
 * `FC_SEED=random` explores new inputs.
 */
export const fcSeed = process.env.FC_SEED === 'random' ? undefined : Number(process.env.FC_SEED ?? 20_261_124);

/**
 * An unsigned GET over `node:http`, whose header names go out as written (fetch writes them
 * lower case): the status and the parsed body.
 */
export function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.once('error', reject).end();
  });
}
