// Callback-style handlers as Lambda's Node.js runtimes run them
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html): up to Node.js 22 a handler of
// three parameters gets a callback, and `callback(error, result)` settles the invocation (many
// Lambda authorizer samples are written so); Node.js 24 refuses such a handler at init with
// Runtime.CallbackHandlerDeprecated (aws-lambda-nodejs-runtime-interface-client v4, "Removed
// callback-based handler support"). Functions synthesized in a CDK app here, run in real runners.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack } from '../../src/stack.js';
import { startStack } from '../helpers/stack.js';

const HANDLERS = {
  // The shape of AWS's own token authorizer sample (aws-cdk-examples, api-gateway-lambda-token-authorizer).
  Callback: `exports.handler = function (event, context, callback) {
    if (event.token === 'unauthorized') return callback('Unauthorized');
    if (event.token === 'error') return callback(new TypeError('bad token'));
    setTimeout(() => callback(null, { token: event.token }), 5);
  };`,
  Succeed: 'exports.handler = function (event, context, callback) { context.succeed({ legacy: true }); };',
  // Three parameters, async: its promise settles it as well.
  AsyncThree: 'exports.handler = async function (event, context, callback) { return { async: true }; };',
  // Two parameters, the context's legacy methods (Node.js 24's context has none).
  TwoSucceed: 'exports.handler = function (event, context) { context.succeed({ two: true }); };',
  // Not an Error: reported by its type.
  ThrowsObject: "exports.handler = async () => { throw { message: 'looks like one' }; };",
};

let stack: LocalStack;
beforeAll(async () => {
  const outdir = mkdtempSync(join(inject('scratchRoot'), 'callbacks-'));
  const app = new App({ outdir });
  const scope = new Stack(app, 'Callbacks', { env: { account: '111111111111', region: 'us-east-1' } });
  for (const [name, code] of Object.entries(HANDLERS))
    for (const runtime of [lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_24_X])
      new lambda.Function(scope, `${name}${runtime.name.replace(/\W/g, '')}`, {
        runtime,
        handler: 'index.handler',
        code: lambda.Code.fromInline(code),
      });
  app.synth();
  ({ stack } = await startStack(outdir, { warn: () => {} }));
});
afterAll(() => stack?.close());

const invoke = async (name: string, event: unknown) => {
  const runtime = stack.runtime(name);
  if (!runtime) throw new Error(`no function ${name}`);
  return runtime.invoke(event);
};

describe('Node.js 22: callbacks settle the invocation', () => {
  it('callback(null, result) is the result', async () => {
    expect(await invoke('Callbacknodejs22x', { token: 'allow' })).toMatchObject({
      ok: true,
      result: { token: 'allow' },
    });
  });

  it('callback("Unauthorized") fails with errorType "string" and the text as its message, no trace', async () => {
    expect(await invoke('Callbacknodejs22x', { token: 'unauthorized' })).toMatchObject({
      ok: false,
      error: { errorType: 'string', errorMessage: 'Unauthorized', trace: [] },
    });
  });

  it('callback(new TypeError(…)) fails with its name and message', async () => {
    expect(await invoke('Callbacknodejs22x', { token: 'error' })).toMatchObject({
      ok: false,
      error: { errorType: 'TypeError', errorMessage: 'bad token' },
    });
  });

  it('context.succeed and an async handler of three parameters settle it too', async () => {
    expect(await invoke('Succeednodejs22x', {})).toMatchObject({ ok: true, result: { legacy: true } });
    expect(await invoke('AsyncThreenodejs22x', {})).toMatchObject({ ok: true, result: { async: true } });
  });
});

describe("Node.js 22: the context's legacy methods, and errors that are not Errors", () => {
  it('context.succeed in a handler of two parameters is the result', async () => {
    expect(await invoke('TwoSucceednodejs22x', {})).toMatchObject({ ok: true, result: { two: true } });
  });

  it('a thrown object with a message but no name or stack is an "object", as the runtime reports it', async () => {
    expect(await invoke('ThrowsObjectnodejs22x', {})).toMatchObject({
      ok: false,
      error: { errorType: 'object', errorMessage: '[object Object]', trace: [] },
    });
  });
});

describe('Node.js 24: no legacy context methods', () => {
  it('context.succeed is not a function', async () => {
    expect(await invoke('TwoSucceednodejs24x', {})).toMatchObject({
      ok: false,
      error: { errorType: 'TypeError', errorMessage: expect.stringContaining('context.succeed is not a function') },
    });
  });
});

describe('Node.js 24: a handler of three parameters is refused at init', () => {
  it.each(['Callbacknodejs24x', 'Succeednodejs24x', 'AsyncThreenodejs24x'])(
    '%s: Runtime.CallbackHandlerDeprecated',
    async (name) => {
      expect(await invoke(name, { token: 'allow' })).toMatchObject({
        ok: false,
        error: {
          errorType: 'Runtime.CallbackHandlerDeprecated',
          errorMessage: expect.stringMatching(
            /^ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node\.js 24\./,
          ),
        },
      });
    },
  );
});
