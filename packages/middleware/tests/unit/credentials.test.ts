import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Credentials, createIamClient, IamClientConfigError, memoizeCredentials } from '../../src/index.js';
import { testCredentials } from '../helpers/credentials.js';
import { type Loopback, startLoopback, verifyReceived } from '../helpers/loopback.js';
import { motoPresent, startMoto } from '../helpers/moto.js';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

const keyOf = (index: number) =>
  /Credential=([^/]+)\//.exec(String(server.received[index]?.headers.authorization))?.[1];

describe('credentials from the Lambda environment', () => {
  it('are read when signing, not when the client is created', async () => {
    // Prepare: the client exists before the variables do, as at import time.
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    const client = createIamClient({ region: 'us-east-1' });
    vi.stubEnv('AWS_ACCESS_KEY_ID', testCredentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', testCredentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', testCredentials.sessionToken);

    // Act
    await client.get(`${server.origin}/prod/`);
    const rotated = { ...testCredentials, accessKeyId: 'ASIAROTATEDEXAMPLE01' };
    vi.stubEnv('AWS_ACCESS_KEY_ID', rotated.accessKeyId);
    await client.get(`${server.origin}/prod/`);

    // Assess
    const [first, second] = server.received.slice(-2);
    expect(first && verifyReceived(first, testCredentials).valid).toBe(true);
    expect(second && verifyReceived(second, rotated).valid).toBe(true);
    expect(second?.headers['x-amz-security-token']).toBe(testCredentials.sessionToken);
  });

  it('missing: a clear IamClientConfigError that says what to set', async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    const client = createIamClient({ region: 'us-east-1' });

    // Act
    const call = client.get(`${server.origin}/prod/`);

    // Assess
    await expect(call).rejects.toThrow(IamClientConfigError);
    await expect(call).rejects.toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/);
  });

  it('the region comes from AWS_REGION when the URL is not an AWS hostname', async () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'ap-southeast-2');
    const client = createIamClient({ credentials: testCredentials });

    // Act
    await client.get(`${server.origin}/prod/`);

    // Assess
    expect(verifyReceived(server.received.at(-1) as never, testCredentials)).toMatchObject({
      valid: true,
      region: 'ap-southeast-2',
    });
  });
});

describe('credential providers', () => {
  it('are called once for 20 concurrent requests, and once more ~5 minutes before expiry', async () => {
    // Prepare: Date is faked (timers stay real) to move past the refresh point.
    vi.useFakeTimers({ toFake: ['Date'] });
    let calls = 0;
    const provider = async (): Promise<Credentials> => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {
        ...testCredentials,
        accessKeyId: `ASIAPROVIDERCALL000${calls}`,
        expiration: new Date(Date.now() + 3_600_000),
      };
    };
    const client = createIamClient({ credentials: provider, region: 'us-east-1' });
    const before = server.received.length;

    // Act
    await Promise.all(Array.from({ length: 20 }, () => client.get(`${server.origin}/prod/`)));
    const afterFirstBatch = calls;
    vi.setSystemTime(Date.now() + 56 * 60_000); // 4 minutes before expiry
    await Promise.all(Array.from({ length: 20 }, () => client.get(`${server.origin}/prod/`)));

    // Assess
    expect(afterFirstBatch).toBe(1);
    expect(calls).toBe(2);
    expect(server.received.length - before).toBe(40);
    expect(keyOf(before)).toBe('ASIAPROVIDERCALL0001');
    expect(keyOf(server.received.length - 1)).toBe('ASIAPROVIDERCALL0002');
  });

  it('keep using still-valid credentials when a refresh fails', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    let calls = 0;
    const provider = memoizeCredentials(async () => {
      calls += 1;
      if (calls > 1) throw new Error('STS is down');
      return { ...testCredentials, expiration: new Date(Date.now() + 10 * 60_000) };
    });
    await provider();

    // Act
    vi.setSystemTime(Date.now() + 6 * 60_000); // inside the refresh window, not expired
    const stillValid = await provider();
    vi.setSystemTime(Date.now() + 5 * 60_000); // expired now
    const expired = provider();

    // Assess
    expect(stillValid.accessKeyId).toBe(testCredentials.accessKeyId);
    await expect(expired).rejects.toThrow('STS is down');
    expect(calls).toBe(3);
  });

  it.each([[{ accessKeyId: '', secretAccessKey: 'x' }], [{ accessKeyId: 'AKIA', secretAccessKey: undefined }]])(
    'static credentials %j without both keys are refused up front',
    (credentials) => {
      // Act & Assess
      expect(() => createIamClient({ credentials: credentials as never })).toThrow(
        /The `credentials` option must give non-empty string `accessKeyId` and `secretAccessKey`/,
      );
    },
  );

  it('a provider that returns nothing usable gives a clear error', async () => {
    // Prepare
    const client = createIamClient({ credentials: async () => ({}) as never, region: 'us-east-1' });

    // Act & Assess
    await expect(client.get(`${server.origin}/prod/`)).rejects.toThrow(
      /The `credentials` provider must give non-empty string `accessKeyId`/,
    );
  });
});

describe('assumeRole', () => {
  it.each([
    [{ roleArn: 'not-an-arn' }, /`assumeRole.roleArn` must be an IAM role ARN/],
    [{ roleArn: 'arn:aws:iam::123456789012:user/bob' }, /`assumeRole.roleArn` must be an IAM role ARN/],
    [{ roleArn: 'arn:aws:iam::123456789012:role/r', sessionName: 'has space' }, /`assumeRole.sessionName`/],
  ])('refuses %j up front', (assumeRole, message) => {
    // Act & Assess
    expect(() => createIamClient({ assumeRole })).toThrow(message);
  });

  describe.skipIf(!motoPresent)(
    motoPresent
      ? 'against moto_server (a local STS: AWS itself cannot run here)'
      : 'against moto_server: SKIPPED, moto_server is not installed',
    () => {
      let moto: { url: string; stop: () => void };
      beforeAll(async () => {
        moto = await startMoto();
      }, 15_000);
      afterAll(() => {
        moto?.stop();
      });

      it('signs with the assumed role, calling STS once for many requests', async () => {
        // Prepare
        vi.stubEnv('AWS_ENDPOINT_URL_STS', moto.url);
        vi.stubEnv('AWS_REGION', 'us-east-1');
        const client = createIamClient({
          credentials: testCredentials,
          assumeRole: { roleArn: 'arn:aws:iam::123456789012:role/api-caller', externalId: 'ext-1' },
        });
        const before = server.received.length;

        // Act
        await Promise.all(Array.from({ length: 5 }, () => client.get(`${server.origin}/prod/`)));

        // Assess
        const keys = new Set(server.received.slice(before).map((_, i) => keyOf(before + i)));
        expect(keys.size).toBe(1);
        const [key] = keys;
        expect(key).toMatch(/^ASIA/);
        expect(key).not.toBe(testCredentials.accessKeyId);
        expect(server.received.at(-1)?.headers['x-amz-security-token']).toBeTruthy();
        expect(server.received.at(-1)?.headers['x-amz-security-token']).not.toBe(testCredentials.sessionToken);
      });
    },
  );
});
