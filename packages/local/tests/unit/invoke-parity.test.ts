// The Lambda Invoke API over HTTP: what it is named (name, qualifier, ARN, partial ARN) and what it
// is sent (any valid JSON up to 6 MB), answered as AWS answers, each row with its source.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../../src/services/integration.js';
import { LocalStack, type LocalState } from '../../src/stack.js';
import { clientFor } from '../helpers/stack.js';

const INVOKE = 'https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html';
/** "Mismatching qualifiers": `MyFunction:2` with `Qualifier` 1 → InvalidParameterValueException and its message. */
const MISMATCH =
  'https://docs.aws.amazon.com/scheduler/latest/UserGuide/troubleshooting.html#troubleshooting-usi-target-input';
/**
 * AWS's answers as LocalStack recorded them (botocore keeps the body's modeled members):
 * InvalidParameterValueException and InvalidRequestContentException say `Type` and `message`,
 * lowercase (test_ops_with_arn_qualifier_mismatch, test_lambda_invoke_payload_encoding_error).
 */
const RECORDED =
  'https://github.com/localstack/localstack/tree/8b9a79f05846835cf4dff63ab7eefdde9df83783/tests/aws/services/lambda_';
/** A recorded answer: "ResourceNotFoundException: Functions from 'us-east-1' are not reachable in this region ('ap-southeast-2')". */
const OTHER_REGION = 'https://github.com/common-fate/common-fate';
/** Lambda's Node.js runtime hands the handler `JSON.parse(bodyJson)` of the payload as sent. */
const RUNTIME_PARSE = 'https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/blob/main/src/Runtime.js';
/** "Request must be smaller than 6291456 bytes for the InvokeFunction operation (… Status Code: 413 …)". */
const TOO_LARGE = 'https://github.com/awslabs/aws-athena-query-federation/issues/793';

const ACCOUNT = '111111111111';
let stack: LocalStack;
let state: LocalState;
let payloadFn = '';

beforeAll(async () => {
  stack = await LocalStack.start({ assemblyDir: inject('fixtures').sdk, functionOutput: 'ignore', warn: () => {} });
  state = stack.state();
  payloadFn = state.functions.find((fn) => fn.name === 'Payload')?.functionName ?? '';
});
afterAll(() => stack?.close());

/** An Invoke call signed by the account's operator: `name` as the path parameter, `Qualifier` when given. */
async function invoke(name: string, options: { qualifier?: string; body?: Buffer } = {}) {
  const query = options.qualifier === undefined ? '' : `?Qualifier=${encodeURIComponent(options.qualifier)}`;
  const response = await clientFor(state, 'operator', 'lambda').request({
    url: `${state.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations${query}`,
    method: 'POST',
    body: options.body ?? Buffer.from('{}'),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('x-amzn-errortype'),
    version: response.headers.get('x-amz-executed-version'),
    body: JSON.parse(text || 'null') as Record<string, unknown>,
  };
}

const lambdaError = (status: number, type: string, message: string) => ({
  status,
  type,
  body: { Type: 'User', Message: message },
});
/** The errors whose model names the message `message` (RECORDED). */
const lowercaseLambdaError = (status: number, type: string, message: string) => ({
  status,
  type,
  body: { Type: 'User', message },
});

describe('Invoke: the function name and the Qualifier must agree', () => {
  const mismatch = lowercaseLambdaError(
    400,
    'InvalidParameterValueException',
    'The derived qualifier from the function name does not match the specified qualifier.',
  );
  const arn = () => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${payloadFn}`;
  const rows: [
    what: string,
    name: () => string,
    qualifier: string | undefined,
    expected: () => object,
    source: string,
  ][] = [
    ['name:alias with another Qualifier', () => `${payloadFn}:live`, '$LATEST', () => mismatch, MISMATCH],
    ['ARN:alias with another Qualifier', () => `${arn()}:live`, '1', () => mismatch, MISMATCH],
    [
      'partial ARN:alias with another',
      () => `${ACCOUNT}:function:${payloadFn}:live`,
      '$LATEST',
      () => mismatch,
      MISMATCH,
    ],
    ['name:version with another', () => `${payloadFn}:1`, 'live', () => mismatch, MISMATCH],
    ['name:alias with the same', () => `${payloadFn}:live`, 'live', () => ({ status: 200, version: '1' }), INVOKE],
    ['ARN:version with the same', () => `${arn()}:1`, '1', () => ({ status: 200, version: '1' }), INVOKE],
    ['name with Qualifier alias', () => payloadFn, 'live', () => ({ status: 200, version: '1' }), INVOKE],
    ['name:alias alone', () => `${payloadFn}:live`, undefined, () => ({ status: 200, version: '1' }), INVOKE],
    ['name with an empty Qualifier', () => payloadFn, '', () => ({ status: 200, version: '$LATEST' }), INVOKE],
    [
      'name with an unknown Qualifier',
      () => payloadFn,
      'nope',
      () => lambdaError(404, 'ResourceNotFoundException', `Function not found: ${arn()}:nope`),
      INVOKE,
    ],
    [
      'ARN of another region',
      () => arn().replace('us-east-1', 'eu-west-1'),
      undefined,
      () =>
        lambdaError(
          404,
          'ResourceNotFoundException',
          "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
        ),
      OTHER_REGION,
    ],
  ];

  it.each(rows)('%s → as AWS answers (%#)', async (_what, name, qualifier, expected, _source) => {
    // Act
    const answer = await invoke(name(), { qualifier });

    // Assess
    expect(answer).toMatchObject(expected());
  });
});

describe('Invoke: any valid JSON payload up to 6 MB reaches the function as sent', () => {
  /** The function's report of a payload whose JSON (as the function writes it) is `json`. */
  const arrived = (type: string, json: string, extra: object = {}) => ({
    status: 200,
    type: null,
    body: {
      type,
      bytes: Buffer.byteLength(json),
      sha256: createHash('sha256').update(json).digest('hex'),
      ...extra,
    },
  });
  const justBelow = `"${'a'.repeat(MAX_EVENT_BYTES - 3)}"`;
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const rows: [what: string, payload: () => Buffer, expected: () => object, source: string][] = [
    ['null', () => Buffer.from('null'), () => arrived('null', 'null'), RUNTIME_PARSE],
    ['a string', () => Buffer.from('"text"'), () => arrived('string', '"text"'), RUNTIME_PARSE],
    ['an empty body, as {}', () => Buffer.alloc(0), () => arrived('object', '{}'), INVOKE],
    [
      '1e400, as Infinity',
      () => Buffer.from('{"probe":1e400}'),
      () => ({ body: { probe: 'Infinity' } }),
      RUNTIME_PARSE,
    ],
    ['-0, as -0', () => Buffer.from('{"probe":-0}'), () => ({ body: { probe: '-0' } }), RUNTIME_PARSE],
    [
      'arrays nested 100,000 deep',
      () => Buffer.from(deep),
      () => ({ status: 200, body: { type: 'array', depth: 100_000 } }),
      RUNTIME_PARSE,
    ],
    [
      `${MAX_EVENT_BYTES - 1} bytes (just below 6 MB)`,
      () => Buffer.from(justBelow),
      () => arrived('string', justBelow),
      INVOKE,
    ],
    [
      `${MAX_EVENT_BYTES + 1} bytes (just above 6 MB)`,
      () => Buffer.from(`"${'a'.repeat(MAX_EVENT_BYTES - 1)}"`),
      () =>
        lambdaError(
          413,
          'RequestEntityTooLargeException',
          `Request must be smaller than ${MAX_EVENT_BYTES} bytes for the InvokeFunction operation`,
        ),
      TOO_LARGE,
    ],
    [
      'text that is not JSON',
      () => Buffer.from('{"a":'),
      () => ({ status: 400, type: 'InvalidRequestContentException' }),
      INVOKE,
    ],
    [
      'bytes that are not UTF-8',
      () => Buffer.from([0x22, 0xff, 0x22]),
      () => ({ status: 400, type: 'InvalidRequestContentException' }),
      INVOKE,
    ],
  ];

  it.each(rows)('%s → as AWS answers (%#)', async (_what, payload, expected, _source) => {
    // Act
    const answer = await invoke(payloadFn, { body: payload() });

    // Assess
    expect(answer).toMatchObject(expected());
  });

  it(`a payload that is not JSON is refused in Lambda’s words (${RECORDED})`, async () => {
    // Act
    const answer = await invoke(payloadFn, { body: Buffer.from('{"a":') });

    // Assess
    expect(answer.body).toEqual({
      Type: 'User',
      message: expect.stringMatching(/^Could not parse request body into json: Could not parse payload into json: /),
    });
  });
});
