// A function's log as CloudWatch keeps it: each event on its own line(s), on this process's stderr
// (what `start` and `serve` show) and in the Invoke API's `X-Amz-Log-Result` tail. A console call
// is one event whose line breaks stay line breaks (the Node.js runtime writes it so to Lambda's
// telemetry log: aws-lambda-nodejs-runtime-interface-client, LogPatch.js `logTextToFd`); output
// written without a final newline ends where the next event starts, never glued to it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor, editedAssembly, inlineFunction } from '../helpers/stack.js';

const CHATTY = `
const { Console } = require('node:console');
// What Powertools Logger writes with: a Console of its own on stdout.
const own = new Console({ stdout: process.stdout, stderr: process.stderr });
exports.handler = async () => {
  process.stdout.write('no newline on stdout');
  console.log('first line\\nsecond line');
  own.log(JSON.stringify({ level: 'INFO', message: 'one' }));
  own.log(JSON.stringify({ level: 'INFO', message: 'two' }));
  process.stderr.write('no newline on stderr');
  process.stdout.write('left open at the end');
  return 'done';
};`;

// A module the function needs, missing at first (an `npm install` not yet run): written by a test.
const lateModule = join(mkdtempSync(join(tmpdir(), 'iam-m2m-late-')), 'late.js');
const FAILING = `exports.handler = async () => { throw new Error('boom'); };`;
const UNLOADABLE = `const late = require(${JSON.stringify(lateModule)});\nexports.handler = async () => late.value;`;

let stack: LocalStack;
let state: LocalState;
beforeAll(async () => {
  const assembly = editedAssembly(inject('oneAccount'), 'IamM2m', (template) => {
    const resources = template.Resources;
    const [role] = Object.keys(resources).filter((id) => id.startsWith('HelloWorldRole') && !id.includes('Policy'));
    if (!role) throw new Error('the app no longer has the HelloWorld role this test uses');
    resources.Chatty = inlineFunction(CHATTY, role, { Runtime: 'nodejs24.x' });
    resources.Failing = inlineFunction(FAILING, role, { Runtime: 'nodejs24.x' });
    resources.Unloadable = inlineFunction(UNLOADABLE, role, { Runtime: 'nodejs24.x' });
    resources.ThrowsNothing = inlineFunction('throw undefined;', role, { Runtime: 'nodejs24.x' });
  });
  stack = await LocalStack.start({ assemblyDir: assembly, functionOutput: 'inherit', warn: () => {} });
  state = stack.state();
});
afterAll(() => stack?.close());
afterEach(() => {
  vi.restoreAllMocks();
});

const TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

/** The events every invocation of Chatty logs, whole, each its own line(s). */
function expectChattyEvents(log: string, requestId: string): void {
  expect(log).toContain('\nno newline on stdout\n');
  expect(log).toMatch(new RegExp(`\\n${TIME}\\t${requestId}\\tINFO\\tfirst line\\nsecond line\\n`));
  expect(log).toContain('\n{"level":"INFO","message":"one"}\n{"level":"INFO","message":"two"}\n');
  expect(log).toContain('\nno newline on stderr\n');
  expect(log).toContain('\nleft open at the end\n');
  expect(log).not.toContain('\r');
}

describe('a function’s log events', () => {
  it('are whole lines in the invocation’s log, a multi-line console.log as one event with its line breaks', async () => {
    // Act
    const outcome = await stack.runtime('Chatty')?.invoke({}, { requestId: 'c0ffee00-0000-4000-8000-000000000001' });

    // Assess
    const log = outcome?.log ?? '';
    expect(log).toMatch(/^START RequestId: c0ffee00-0000-4000-8000-000000000001 Version: \$LATEST\n/);
    expectChattyEvents(log, 'c0ffee00-0000-4000-8000-000000000001');
    expect(log).toMatch(/\nEND RequestId: c0ffee00-0000-4000-8000-000000000001\nREPORT RequestId: /);
  });

  it('reach the terminal (start, serve) in whole lines, never glued to the next one, with no \\r', async () => {
    // Prepare
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });

    // Act: twice, so the line left open at the first one's end meets the second one's first event.
    const first = await stack.runtime('Chatty')?.invoke({}, { requestId: 'c0ffee00-0000-4000-8000-000000000002' });
    await stack.runtime('Chatty')?.invoke({}, { requestId: 'c0ffee00-0000-4000-8000-000000000003' });

    // Assess
    expect(first?.ok).toBe(true);
    expect(writes.filter((text) => !text.endsWith('\n'))).toEqual([]);
    const shown = `\n${writes.join('')}`;
    expectChattyEvents(shown, 'c0ffee00-0000-4000-8000-000000000002');
    expectChattyEvents(shown, 'c0ffee00-0000-4000-8000-000000000003');
    expect(shown).not.toMatch(/open at the endno newline/);
  });

  it('come back in X-Amz-Log-Result as Lambda’s tail: START, the events with their line breaks, END, REPORT (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html)', async () => {
    // Act
    const fn = state.functions.find((candidate) => candidate.name === 'Chatty');
    const response = await clientFor(state, 'operator', 'lambda').post(
      `${state.lambdaEndpoint}/2015-03-31/functions/${fn?.functionName}/invocations`,
      { json: {}, headers: { 'X-Amz-Log-Type': 'Tail' } },
    );

    // Assess
    const id = response.headers.get('x-amzn-requestid') ?? '';
    const log = Buffer.from(response.headers.get('x-amz-log-result') ?? '', 'base64').toString('utf8');
    expect(await response.json()).toBe('done');
    expect(log).toMatch(new RegExp(`^START RequestId: ${id} Version: \\$LATEST\\n`));
    expectChattyEvents(log, id);
    expect(log).toMatch(new RegExp(`\\nEND RequestId: ${id}\\nREPORT RequestId: ${id}\\t.*\\t\\n$`));
  });
});

describe('errors in the log, as the Node.js runtime writes them (aws-lambda-nodejs-runtime-interface-client: textErrorLogger)', () => {
  it('a handler’s error is an `Invoke Error` event with the error as JSON', async () => {
    // Act
    const outcome = await stack.runtime('Failing')?.invoke({}, { requestId: 'c0ffee00-0000-4000-8000-00000000000f' });

    // Assess
    expect(outcome?.ok).toBe(false);
    expect(outcome?.log).toMatch(
      new RegExp(
        `\\n${TIME}\\tc0ffee00-0000-4000-8000-00000000000f\\tERROR\\tInvoke Error \\t\\{"errorType":"Error","errorMessage":"boom","stack":\\["Error: boom",`,
      ),
    );
  });

  it('a failed init is an `Uncaught Exception` event, and resets the environment: once the module exists, the next call loads it (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-init-errors)', async () => {
    // Act
    const first = await stack.runtime('Unloadable')?.invoke({});
    writeFileSync(lateModule, "exports.value = 'loaded';");
    const second = await stack.runtime('Unloadable')?.invoke({});

    // Assess
    expect(first).toMatchObject({ ok: false, error: { errorType: 'Runtime.ImportModuleError' } });
    expect(first?.log).toMatch(
      new RegExp(`\\n${TIME}\\tundefined\\tERROR\\tUncaught Exception \\t\\{"errorType":"Runtime.ImportModuleError"`),
    );
    expect(second).toMatchObject({ ok: true, result: 'loaded' });
  });

  it('whatever the init threw (`throw undefined` too) is the init’s failure, not the handler’s', async () => {
    // Act
    const outcome = await stack.runtime('ThrowsNothing')?.invoke({});

    // Assess
    expect(outcome?.ok).toBe(false);
    expect(outcome?.log).toContain('\tundefined\tERROR\tUncaught Exception \t');
    expect(outcome?.log).not.toContain('Invoke Error');
  });
});
