import { afterEach, describe, expect, it, vi } from 'vitest';
import { IamClientConfigError, resolveSigningScope } from '../../src/index.js';

afterEach(() => vi.unstubAllEnvs());

describe('resolveSigningScope', () => {
  it.each([
    ['https://abc123.execute-api.eu-west-1.amazonaws.com/prod/', 'execute-api', 'eu-west-1', false],
    ['https://abc123-vpce-0123.execute-api.us-east-2.amazonaws.com/prod/', 'execute-api', 'us-east-2', false],
    ['https://vpce-0123-abc.execute-api.ap-south-1.vpce.amazonaws.com/prod/', 'execute-api', 'ap-south-1', false],
    ['https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod/', 'execute-api', 'cn-north-1', false],
    ['https://ABC123.EXECUTE-API.US-WEST-2.AMAZONAWS.COM/', 'execute-api', 'us-west-2', false],
    ['https://xyz.lambda-url.us-west-2.on.aws/', 'lambda', 'us-west-2', false],
    ['https://svc-0abc.7d67968.vpc-lattice-svcs.eu-central-1.on.aws/orders', 'vpc-lattice-svcs', 'eu-central-1', true],
  ])('%s → %s in %s', (url, service, region, unsignedPayload) => {
    // Prepare: options and the environment must not override what the hostname says.
    vi.stubEnv('AWS_REGION', 'sa-east-1');

    // Act
    const scope = resolveSigningScope(new URL(url), { service: 'other' });

    // Assess
    expect(scope).toEqual({ service, region, unsignedPayload });
  });

  it('other hosts take the options first', () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'sa-east-1');

    // Act
    const scope = resolveSigningScope(new URL('https://api.example.com/v1'), {
      service: 'lambda',
      region: 'eu-north-1',
    });

    // Assess
    expect(scope).toEqual({ service: 'lambda', region: 'eu-north-1', unsignedPayload: false });
  });

  it.each([
    ['AWS_REGION', 'us-east-2'],
    ['AWS_DEFAULT_REGION', 'us-west-1'],
  ])('other hosts fall back to %s and the service execute-api', (variable, region) => {
    // Prepare
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    vi.stubEnv(variable, region);

    // Act
    const scope = resolveSigningScope(new URL('http://127.0.0.1:3000/prod/'));

    // Assess
    expect(scope).toEqual({ service: 'execute-api', region, unsignedPayload: false });
  });

  it('no region anywhere: an IamClientConfigError naming the URL', () => {
    // Prepare
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');

    // Act
    const resolve = () => resolveSigningScope(new URL('https://api.example.com/v1?token=x'));

    // Assess
    expect(resolve).toThrow(IamClientConfigError);
    expect(resolve).toThrow(
      'Cannot tell the AWS region for https://api.example.com: it is not an AWS hostname; pass the `region` option or set AWS_REGION.',
    );
  });

  it('a hostname that only looks like AWS is not trusted for the region', () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'us-east-1');

    // Act
    const scope = resolveSigningScope(new URL('https://abc.execute-api.eu-west-1.amazonaws.com.evil.example/'));

    // Assess
    expect(scope.region).toBe('us-east-1');
  });
});

describe('unsignedPayload where the service refuses it', () => {
  it.each([
    // API Gateway: a signature over UNSIGNED-PAYLOAD is a mismatch
    // (https://github.com/aws/aws-sdk-js-v3/issues/308, https://github.com/apache/opendal-reqsign/issues/346).
    [
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
      {},
      'execute-api',
      'https://abc123.execute-api.eu-west-1.amazonaws.com',
    ],
    ['https://api.example.com/v1?token=x', { region: 'eu-west-1' }, 'execute-api', 'https://api.example.com'],
    // "Lambda doesn't support unsigned payloads."
    // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html)
    ['https://xyz.lambda-url.us-west-2.on.aws/', {}, 'lambda', 'https://xyz.lambda-url.us-west-2.on.aws'],
    [
      'http://127.0.0.1:3000/2015-03-31/functions/f/invocations',
      { region: 'us-east-1', service: 'lambda' },
      'lambda',
      'http://127.0.0.1:3000',
    ],
  ])('%s: an IamClientConfigError naming the option', (url, defaults, service, origin) => {
    // Act
    const resolve = () => resolveSigningScope(new URL(url), { ...defaults, unsignedPayload: true });

    // Assess
    expect(resolve).toThrow(IamClientConfigError);
    expect(resolve).toThrow(`\`unsignedPayload: true\` cannot sign for ${service} (${origin}): `);
    expect(resolve).toThrow('Remove the option; only services such as S3 and VPC Lattice accept an unsigned payload.');
    expect(resolve).not.toThrow(/token=x/);
  });

  it.each([
    ['VPC Lattice, by default', 'https://svc-0abc.7d67968.vpc-lattice-svcs.eu-central-1.on.aws/orders', {}],
    [
      'VPC Lattice, asked for',
      'https://svc-0abc.7d67968.vpc-lattice-svcs.eu-central-1.on.aws/orders',
      { unsignedPayload: true },
    ],
    [
      'another service named in the options',
      'https://bucket.example.com/key',
      { region: 'eu-west-1', service: 's3', unsignedPayload: true },
    ],
  ])('%s: accepted', (_label, url, defaults) => {
    // Act
    const scope = resolveSigningScope(new URL(url), defaults);

    // Assess
    expect(scope.unsignedPayload).toBe(true);
  });

  it.each([['https://abc123.execute-api.eu-west-1.amazonaws.com/prod/'], ['https://xyz.lambda-url.us-west-2.on.aws/']])(
    '%s: `unsignedPayload: false` is accepted',
    (url) => {
      expect(resolveSigningScope(new URL(url), { unsignedPayload: false }).unsignedPayload).toBe(false);
    },
  );
});

describe('one call’s overrides', () => {
  it('signingHost: the host signed, and service and region read from it, not from the URL', () => {
    // Act
    const scope = resolveSigningScope(
      new URL('https://d111111abcdef8.cloudfront.net/prod/'),
      { region: 'us-east-1' },
      { signingHost: 'ABC123.execute-api.eu-west-1.amazonaws.com' },
    );

    // Assess
    expect(scope).toEqual({
      service: 'execute-api',
      region: 'eu-west-1',
      unsignedPayload: false,
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    });
  });

  it('a signingHost that is not an AWS hostname keeps the port and takes the defaults', () => {
    // Act
    const scope = resolveSigningScope(
      new URL('http://127.0.0.1:4000/'),
      { region: 'eu-north-1' },
      {
        signingHost: 'api.internal.example:8443',
      },
    );

    // Assess
    expect(scope).toEqual({
      service: 'execute-api',
      region: 'eu-north-1',
      unsignedPayload: false,
      host: 'api.internal.example:8443',
    });
  });

  it('region and service win over the URL', () => {
    // Act
    const scope = resolveSigningScope(
      new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/'),
      {},
      { service: 'lambda', region: 'us-west-2' },
    );

    // Assess
    expect(scope).toMatchObject({ service: 'lambda', region: 'us-west-2' });
  });

  it.each([
    [{ signingHost: 'https://abc.example.com' }, 'not a URL: leave out the scheme'],
    [{ signingHost: 'abc.example.com/prod' }, 'without a path, query or user info'],
    [{ signingHost: 'a b' }, 'got characters a host name cannot have'],
    [
      { region: 'eu_west_1' },
      '`region` must be lower-case letters, digits and dashes like eu-west-1, got "eu_west_1".',
    ],
    [{ service: 'Execute-API' }, '`service` must be lower-case letters, digits and dashes like execute-api'],
  ])('%j: an IamClientConfigError', (overrides, message) => {
    // Act
    const resolve = () => resolveSigningScope(new URL('https://api.example.com/'), { region: 'eu-west-1' }, overrides);

    // Assess
    expect(resolve).toThrow(IamClientConfigError);
    expect(resolve).toThrow(message);
  });
});
