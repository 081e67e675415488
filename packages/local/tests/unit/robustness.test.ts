import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { awsError, clientFor, editedAssembly, principal, startStack } from '../helpers/stack.js';

let stack: LocalStack;
let state: LocalState;
let url: string;

const FAULTY_HANDLER = `
export const handler = async (event) => {
  if (event.path === '/throw') throw new Error('boom');
  if (event.path === '/malformed') return { hello: 'no statusCode' };
  if (event.path === '/bad-body') return { statusCode: 200, body: { not: 'a string' } };
  if (event.path === '/slow') await new Promise((resolve) => setTimeout(resolve, 5000));
  if (event.path === '/exit') process.exit(3);
  return { statusCode: 201, multiValueHeaders: { 'x-multi': ['a', 'b'] }, body: Buffer.from('binary').toString('base64'), isBase64Encoded: true };
};
`;

beforeAll(async () => {
  // The integration replaced by a faulty one, its timeout cut to 1 s: what a broken deploy looks like.
  const assembly = editedAssembly(inject('oneAccount'), 'IamM2m', (template) => {
    for (const resource of Object.values(template.Resources)) {
      const env = (resource.Properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
      if (resource.Type === 'AWS::Lambda::Function' && env?.POWERTOOLS_SERVICE_NAME === 'hello-world') {
        resource.Properties.Timeout = 1;
        (resource as unknown as { Metadata: Record<string, string> }).Metadata['aws:asset:path'] = 'faulty';
      }
    }
  });
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(`${assembly}/faulty`);
  writeFileSync(`${assembly}/faulty/index.mjs`, FAULTY_HANDLER);
  ({ stack, state, url } = await startStack(assembly));
});
afterAll(() => stack.close());

/** Sends raw bytes, so that malformed requests reach the server as they are. */
function raw(
  target: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<{ status: number; body: string; type?: string }> {
  const { port } = new URL(state.lambdaEndpoint);
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: body ? 'POST' : 'GET', path: target, headers },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, type: res.headers['x-amzn-errortype'] as string }),
        );
      },
    );
    req.on('error', () => resolve({ status: 0, body: 'connection closed' }));
    req.end(body);
  });
}

// The faulty integration answers 201 to any other path: a good request still gets through.
const ok = async () => (await clientFor(state, 'operator').get(url)).status;

describe('bad input: always a 4xx AWS-shaped answer (or a closed connection), and the server keeps serving', () => {
  it.each([
    ['broken Authorization syntax', 'IncompleteSignatureException', { authorization: 'AWS4-HMAC-SHA256 garbage' }],
    ['another algorithm', 'IncompleteSignatureException', { authorization: 'Bearer abc' }],
    [
      'an invalid date',
      'IncompleteSignatureException',
      {
        authorization:
          'AWS4-HMAC-SHA256 Credential=ASIAX/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00',
        'x-amz-date': 'yesterday',
      },
    ],
    [
      'an expired date',
      'InvalidSignatureException',
      {
        authorization:
          'AWS4-HMAC-SHA256 Credential=ASIAX/20200101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00',
        'x-amz-date': '20200101T000000Z',
      },
    ],
    [
      'an unknown access key',
      'UnrecognizedClientException',
      {
        authorization: `AWS4-HMAC-SHA256 Credential=ASIAUNKNOWN/${new Date().toISOString().slice(0, 10).replaceAll('-', '')}/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00`,
        'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
      },
    ],
  ])('%s → 403 %s', async (_label, type, headers) => {
    // Act
    const response = await raw('/prod/', headers);

    // Assess
    expect(response.status).toBe(403);
    expect(response.type).toBe(type);
    expect(JSON.parse(response.body)).toEqual({ message: expect.any(String) });
    expect(response.body).not.toContain('Signature=');
    expect(await ok()).toBe(201);
  });

  it('a wrong signature → InvalidSignatureException, without the canonical request in the answer', async () => {
    // Prepare
    const operator = principal(state, 'operator');
    const wrong = clientFor(
      { ...state, principals: [{ ...operator, name: 'wrong', secretAccessKey: 'x'.repeat(40) }] },
      'wrong',
    );

    // Act
    const response = await wrong.get(url);

    // Assess
    const error = await awsError(response);
    expect(error).toMatchObject({ status: 403, type: 'InvalidSignatureException' });
    expect(error.message).toMatch(/^The request signature we calculated does not match/);
    expect(error.message).not.toContain(operator.sessionToken);
  });

  it('a wrong session token → UnrecognizedClientException', async () => {
    // Prepare
    const operator = principal(state, 'operator');
    const client = clientFor(
      { ...state, principals: [{ ...operator, name: 'stale', sessionToken: 'stale' }] },
      'stale',
    );

    // Act & Assess
    expect(await awsError(await client.get(url))).toEqual({
      status: 403,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it.each([
    ['invalid percent-encoding in the query', '/prod/?a=%E0%A4%A', 400],
    ['invalid percent-encoding in the path', '/prod/%zz', 400],
    ['a /../ segment', '/prod/echo/../../x', 400],
  ])('%s → %i', async (_label, target, status) => {
    // Act
    const response = await raw(target);

    // Assess
    expect(response.status).toBe(status);
    expect(JSON.parse(response.body)).toEqual({ message: expect.any(String) });
    expect(await ok()).toBe(201);
  });

  it('invalid percent-encoding in an unsigned Invoke API function name → 403, as any unsigned call (the name is validated once a signature holds: aws-hosts.test.ts)', async () => {
    // Act
    const response = await raw('/2015-03-31/functions/%zz/invocations', {}, '{}');

    // Assess
    expect(response).toMatchObject({ status: 403 });
    expect(await ok()).toBe(201);
  });

  it('huge headers → 431, or a closed connection', async () => {
    // Act
    const response = await raw('/prod/', { 'x-big': 'a'.repeat(64 * 1024) });

    // Assess
    expect([0, 431]).toContain(response.status);
    expect(await ok()).toBe(201);
  });

  it('a body over 10 MB → 413', async () => {
    // Act
    const response = await raw('/prod/echo', { 'content-type': 'text/plain' }, 'x'.repeat(10 * 1024 * 1024 + 1));

    // Assess
    expect(response.status).toBe(413);
    expect(await ok()).toBe(201);
  });

  it('the Invoke API: an invalid payload → 400 InvalidRequestContentException; an unknown function → 404', async () => {
    // Prepare
    const lambda = clientFor(state, 'operator', 'lambda');
    const fn = state.functions.find((f) => f.name === 'requestor');

    // Act
    const invalid = await lambda.post(`${state.lambdaEndpoint}/2015-03-31/functions/${fn?.functionName}/invocations`, {
      body: '{oops',
    });
    const unknown = await lambda.post(`${state.lambdaEndpoint}/2015-03-31/functions/nope/invocations`, { json: {} });

    // Assess
    expect(await awsError(invalid)).toMatchObject({ status: 400, type: 'InvalidRequestContentException' });
    expect(await awsError(unknown)).toEqual({
      status: 404,
      type: 'ResourceNotFoundException',
      // `:$LATEST` for an unqualified name: LocalStack's recording of test_invoke_exceptions (AWS, 2025-11-24).
      message: `Function not found: arn:aws:lambda:us-east-1:${principal(state, 'operator').accountId}:function:nope:$LATEST`,
    });
  });
});

describe('integration faults → 502 Internal server error, and the next request is served', () => {
  it.each(['/throw', '/malformed', '/bad-body', '/slow', '/exit'])('%s', async (path) => {
    // Act
    const response = await clientFor(state, 'operator').get(new URL(path.slice(1), url));

    // Assess
    expect(await awsError(response)).toEqual({
      status: 502,
      type: 'InternalServerErrorException',
      message: 'Internal server error',
    });
    expect((await clientFor(state, 'operator').get(new URL('fine', url))).status).toBe(201);
  });

  it('maps multiValueHeaders and isBase64Encoded (an API without binary media types passes the base64 text on)', async () => {
    // Act
    const response = await clientFor(state, 'operator').get(new URL('fine', url));

    // Assess: as AWS answered LocalStack's test_aws_proxy_response_payload_format_validation
    // (invoke-api-b64-encoded-true) and test_aws_proxy_binary_response: no BinaryMediaTypes, no decoding
    expect(response.status).toBe(201);
    expect(response.headers.get('x-multi')).toBe('a, b');
    expect(await response.text()).toBe(Buffer.from('binary').toString('base64'));
  });
});
