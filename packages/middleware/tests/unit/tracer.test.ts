import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import middy from '@middy/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { iamClient } from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import { lambdaContext } from '../helpers/lambda-context.js';
import { type Loopback, startLoopback, verifyReceived } from '../helpers/loopback.js';

describe('under Powertools Tracer fetch instrumentation (Lambda environment emulated, X-Ray daemon on loopback UDP)', () => {
  let server: Loopback;
  const daemon = createSocket('udp4');
  const segments: string[] = [];

  beforeAll(async () => {
    server = await startLoopback();
    daemon.on('message', (message) => segments.push(message.toString('utf8')));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    // What the Lambda runtime sets; Tracer and the X-Ray SDK read them at import.
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    vi.stubEnv('LAMBDA_TASK_ROOT', '/var/task');
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', `127.0.0.1:${(daemon.address() as AddressInfo).port}`);
    vi.stubEnv('AWS_XRAY_CONTEXT_MISSING', 'IGNORE_ERROR');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'requestor');
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    daemon.close();
    await server.close();
  });

  it('the X-Amzn-Trace-Id header added after signing does not break the signature', async () => {
    // Prepare
    const { Tracer } = await import('@aws-lambda-powertools/tracer');
    const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware');
    const tracer = new Tracer();
    const handler = middy()
      .use(captureLambdaHandler(tracer))
      .use(iamClient({ credentials: testCredentials, region: 'us-east-1' }))
      .handler(async (_event: unknown, context) => (await context.iamClient.get(`${server.origin}/prod/`)).status);

    // Act
    const status = await handler({}, lambdaContext());

    // Assess
    expect(status).toBe(200);
    const received = server.received.at(-1);
    expect(received?.headers['x-amzn-trace-id']).toMatch(/^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=/);
    const verification = verifyReceived(received as never, testCredentials);
    expect(verification.valid).toBe(true);
    expect(verification.signedHeaders).not.toContain('x-amzn-trace-id');
    await vi.waitFor(() => expect(segments.join('\n')).toContain('127.0.0.1'));
    for (const secret of [testCredentials.secretAccessKey, testCredentials.sessionToken, 'Signature=']) {
      expect(segments.join('\n')).not.toContain(secret);
    }
  });
});
