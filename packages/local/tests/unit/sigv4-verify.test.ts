import { createHash } from 'node:crypto';
import aws4 from 'aws4';
import { describe, expect, it } from 'vitest';
import {
  loadSuite,
  type ParsedRequest,
  type SuiteCase,
  suiteDir,
  suitePresent,
} from '../../../middleware/tests/helpers/sigv4-test-suite.js';
import { AwsError } from '../../src/aws-error.js';
import { type ReceivedRequest, verifySignature } from '../../src/sigv4/verify.js';

const cases = loadSuite();

const toReceived = (request: ParsedRequest): ReceivedRequest => ({
  method: request.method,
  target: request.query ? `${request.path}?${request.query}` : request.path,
  headers: request.headerLines,
  body: request.body,
});

const optionsFor = (suiteCase: SuiteCase, now = new Date(suiteCase.context.timestamp)) => {
  const { credentials } = suiteCase.context;
  return {
    service: suiteCase.context.service,
    region: suiteCase.context.region,
    now,
    normalizePath: suiteCase.context.normalize,
    lookup: (id: string) =>
      id === credentials.access_key_id
        ? {
            secretAccessKey: credentials.secret_access_key,
            sessionToken: credentials.token,
            identity: { id },
          }
        : undefined,
  };
};

const rejection = (run: () => unknown): { status: number; type: string; message: string } => {
  try {
    run();
  } catch (error) {
    if (error instanceof AwsError) return { status: error.status, type: error.type, message: error.message };
    throw error;
  }
  throw new Error('accepted');
};

/** Replaces the first match of `pattern` in a header line of `request`. */
const withHeader = (request: ReceivedRequest, name: string, edit: (value: string) => string): ReceivedRequest => ({
  ...request,
  headers: request.headers.map(([n, v]) => [n, n.toLowerCase() === name ? edit(v) : v] as const),
});

const title = suitePresent
  ? 'verifySignature against the official AWS SigV4 test suite'
  : `verifySignature against the official AWS SigV4 test suite: SKIPPED, ${suiteDir} is absent`;

describe.skipIf(!suitePresent)(title, () => {
  it('reads all 38 cases', () => {
    expect(cases).toHaveLength(38);
  });

  for (const kind of ['header', 'query'] as const) {
    describe(`${kind} auth`, () => {
      // `omit_session_token` adds the token to the query after signing (an IoT variant);
      // services such as execute-api sign it, so that one presigned form must be refused.
      const tokenAfterSigning = (c: SuiteCase) => kind === 'query' && c.context.omit_session_token === true;

      it.each(cases.filter((c) => !tokenAfterSigning(c)).map((c) => [c.name, c] as const))(
        '%s: the signed request is accepted',
        (_name, suiteCase) => {
          // Act
          const verified = verifySignature(toReceived(suiteCase.signed(kind)), optionsFor(suiteCase));

          // Assess
          expect(verified.accessKeyId).toBe('AKIDEXAMPLE');
        },
      );

      it.each(cases.filter(tokenAfterSigning).map((c) => [c.name, c] as const))(
        '%s: a token added after signing is refused',
        (_name, suiteCase) => {
          expect(
            rejection(() => verifySignature(toReceived(suiteCase.signed(kind)), optionsFor(suiteCase))),
          ).toMatchObject({
            type: 'InvalidSignatureException',
          });
        },
      );

      it.each(cases.map((c) => [c.name, c] as const))(
        '%s: each mutation is rejected with the right type',
        (_name, suiteCase) => {
          // Prepare
          const signed = toReceived(suiteCase.signed(kind));
          const options = optionsFor(suiteCase);
          const verify =
            (request: ReceivedRequest, now = options.now) =>
            () =>
              verifySignature(request, { ...options, now });
          const flip = (hex: string) => hex.replace(/[0-9a-f](?=[0-9a-f]*$)/, (c) => (c === '0' ? '1' : '0'));
          const mutations: [string, ReceivedRequest][] = [
            ['path', { ...signed, target: signed.target.replace(/^\/[^?]*/, (p) => `${p}x`) }],
            ['method', { ...signed, method: signed.method === 'GET' ? 'PUT' : 'GET' }],
            ['body', { ...signed, body: Buffer.concat([signed.body, Buffer.from('!')]) }],
            [
              'query',
              {
                ...signed,
                target: signed.target.includes('?') ? `${signed.target}&extra=1` : `${signed.target}?extra=1`,
              },
            ],
            ['host', withHeader(signed, 'host', (v) => `x${v}`)],
          ];
          if (kind === 'header') {
            mutations.push([
              'signature byte',
              withHeader(signed, 'authorization', (v) => v.replace(/[0-9a-f]$/, (c) => (c === '0' ? '1' : '0'))),
            ]);
          } else {
            mutations.push([
              'signature byte',
              {
                ...signed,
                target: signed.target.replace(/X-Amz-Signature=([0-9a-f]+)/, (_m, s) => `X-Amz-Signature=${flip(s)}`),
              },
            ]);
          }

          // Act & Assess
          for (const [what, request] of mutations) {
            expect(rejection(verify(request)), what).toMatchObject({ status: 403, type: 'InvalidSignatureException' });
          }
          const later = new Date(options.now.getTime() + (kind === 'query' ? 3_601_000 : 6 * 60_000));
          expect(rejection(verify(signed, later)).message).toMatch(
            /^Signature expired: 20150830T123600Z is now earlier than/,
          );
          const earlier = new Date(options.now.getTime() - 6 * 60_000);
          expect(rejection(verify(signed, earlier)).message).toMatch(
            /^Signature not yet current: 20150830T123600Z is still later than/,
          );
        },
      );
    });
  }
});

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** API Gateway's wrong-signature message around a canonical request and a string to sign. */
/** AWS's message, with the session token shown as `<redacted>` (a secret never reaches an error message here). */
const explained = (canonicalRequest: string, stringToSign: string) =>
  `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonicalRequest
    .replace(/^x-amz-security-token:.*$/m, 'x-amz-security-token:<redacted>')
    .replace(
      /(^|&)(X-Amz-Security-Token=)[^&\n]*/m,
      '$1$2<redacted>',
    )}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`;

const flipLastHex = (text: string) => text.replace(/[0-9a-f](?=[0-9a-f]*$)/, (c) => (c === '0' ? '1' : '0'));

describe.skipIf(!suitePresent)('a wrong signature, explained with the official vectors', () => {
  // The canonical request and string to sign expected are the suite's own files, for header
  // and query auth. The `omit_session_token` query variant adds the token after signing, so
  // the request received is not the one its files describe.
  const explainable = cases.flatMap((c) =>
    (['header', 'query'] as const)
      .filter((kind) => !(kind === 'query' && c.context.omit_session_token === true))
      .map((kind) => [`${c.name} (${kind})`, c, kind] as const),
  );

  it.each(explainable)(
    '%s: the message carries the suite canonical request and string to sign (https://github.com/postmanlabs/postman-app-support/issues/1663)',
    (_name, suiteCase, kind) => {
      // Prepare
      const signed = toReceived(suiteCase.signed(kind));
      const tampered: ReceivedRequest =
        kind === 'header'
          ? withHeader(signed, 'authorization', flipLastHex)
          : { ...signed, target: signed.target.replace(/X-Amz-Signature=[0-9a-f]+/, flipLastHex) };

      // Act
      const refused = rejection(() => verifySignature(tampered, { ...optionsFor(suiteCase), explainMismatch: true }));

      // Assess
      expect(refused).toEqual({
        status: 403,
        type: 'InvalidSignatureException',
        message: explained(
          suiteCase.read(`${kind}-canonical-request.txt`).trimEnd(),
          suiteCase.read(`${kind}-string-to-sign.txt`).trimEnd(),
        ),
      });
    },
  );
});

/** A request signed by a third-party signer (aws4), at the suite's instant, for `service`. */
const KEY = { accessKeyId: 'AKIDVERIFYTEST', secretAccessKey: 'verifyTestSecretKey/NotARealOne0000000000' };
const SIGNED_AT = '20150830T123600Z';
const NOW = new Date('2015-08-30T12:36:00Z');

function signedBy(
  service: string,
  { method = 'POST', path = '/prod/echo', body = '{"a":1}', headers = {} as Record<string, string> } = {},
): ReceivedRequest {
  const request = aws4.sign(
    {
      host: 'abc123.example.com',
      method,
      path,
      service,
      region: 'us-east-1',
      body,
      headers: { 'X-Amz-Date': SIGNED_AT, ...headers },
    },
    KEY,
  );
  return {
    method,
    target: path,
    headers: Object.entries(request.headers ?? {}).map(([name, value]) => [name, String(value)] as const),
    body: Buffer.from(body),
  };
}

const verifyFor = (service: string, request: ReceivedRequest, more: { unsignedPayload?: 'refuse' | 'accept' } = {}) =>
  verifySignature(request, {
    service,
    region: 'us-east-1',
    now: NOW,
    lookup: (id) => (id === KEY.accessKeyId ? { secretAccessKey: KEY.secretAccessKey, identity: { id } } : undefined),
    ...more,
  });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('x-amz-content-sha256: UNSIGNED-PAYLOAD', () => {
  const unsignedHeaders = { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' };

  it('execute-api refuses it: 403 InvalidSignatureException, the expected canonical request naming the body hash (closest documented answer: https://github.com/aws/aws-sdk-js-v3/issues/308, https://github.com/apache/opendal-reqsign/issues/346)', () => {
    // Act
    const refused = rejection(() => verifyFor('execute-api', signedBy('execute-api', { headers: unsignedHeaders })));

    // Assess: the server hashed the body, as if the header were absent.
    expect(refused).toMatchObject({ status: 403, type: 'InvalidSignatureException' });
    expect(
      refused.message.startsWith(
        `${MISMATCH}\n\nThe Canonical String for this request should have been\n'POST\n/prod/echo\n`,
      ),
    ).toBe(true);
    expect(refused.message).toContain('\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n');
    expect(refused.message).toContain(
      `\n${sha256('{"a":1}')}'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n${SIGNED_AT}\n20150830/us-east-1/execute-api/aws4_request\n`,
    );
  });

  it('lambda refuses it with the bare message ("Lambda doesn\'t support unsigned payloads": https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html)', () => {
    // Act
    const refused = rejection(() => verifyFor('lambda', signedBy('lambda', { headers: unsignedHeaders })));

    // Assess
    expect(refused).toEqual({ status: 403, type: 'InvalidSignatureException', message: MISMATCH });
  });

  it("is accepted where a service takes it (unsignedPayload: 'accept', as VPC Lattice: https://docs.aws.amazon.com/vpc-lattice/latest/ug/sigv4-authenticated-requests.html)", () => {
    // Act
    const verified = verifyFor('vpc-lattice-svcs', signedBy('vpc-lattice-svcs', { headers: unsignedHeaders }), {
      unsignedPayload: 'accept',
    });

    // Assess
    expect(verified.signedHeaders).toContain('x-amz-content-sha256');
  });

  it.each(['execute-api', 'lambda'])('%s: the header stays optional, without it the body is hashed', (service) => {
    // Act
    const verified = verifyFor(service, signedBy(service));

    // Assess
    expect(verified.signedHeaders).not.toContain('x-amz-content-sha256');
  });

  it.each(['execute-api', 'lambda'])('%s: a signed hash of the body is accepted', (service) => {
    // Act
    const verified = verifyFor(service, signedBy(service, { headers: { 'X-Amz-Content-Sha256': sha256('{"a":1}') } }));

    // Assess
    expect(verified.signedHeaders).toContain('x-amz-content-sha256');
  });
});

describe('what a wrong signature tells', () => {
  const wrong = (request: ReceivedRequest) => withHeader(request, 'authorization', flipLastHex);

  it('execute-api: the canonical request and string to sign a third-party signer computed (https://github.com/mhart/aws4/issues/110)', () => {
    // Prepare
    const request = signedBy('execute-api', { headers: { 'Content-Type': 'application/json' } });
    const signer = new aws4.RequestSigner(
      {
        host: 'abc123.example.com',
        method: 'POST',
        path: '/prod/echo',
        service: 'execute-api',
        region: 'us-east-1',
        body: '{"a":1}',
        headers: { 'X-Amz-Date': SIGNED_AT, 'Content-Type': 'application/json' },
      },
      KEY,
    );

    // Act
    const refused = rejection(() => verifyFor('execute-api', wrong(request)));

    // Assess
    expect(refused.message).toBe(explained(signer.canonicalString(), signer.stringToSign()));
    expect(refused.message).not.toMatch(/authorization/i);
  });

  it('lambda: the first sentence only (https://github.com/rusoto/rusoto/issues/1035, https://github.com/erlcloud/erlcloud/issues/690)', () => {
    expect(rejection(() => verifyFor('lambda', wrong(signedBy('lambda'))))).toEqual({
      status: 403,
      type: 'InvalidSignatureException',
      message: MISMATCH,
    });
  });

  it('a request that lists authorization among its signed headers: the first sentence only, never the header', () => {
    // Prepare: the header a client sent, its value listed as signed.
    const request = signedBy('execute-api');
    const listed = withHeader(request, 'authorization', (value) =>
      value.replace('SignedHeaders=', 'SignedHeaders=authorization;'),
    );

    // Act
    const refused = rejection(() => verifyFor('execute-api', listed));

    // Assess
    expect(refused).toEqual({ status: 403, type: 'InvalidSignatureException', message: MISMATCH });
  });

  it('a signed x-amz-security-token is redacted (AWS prints it, https://github.com/mhart/aws4/issues/110; a secret never reaches an error here)', () => {
    // Prepare: a stand-in token, nothing like a real one.
    const token = 'verify-test-token';
    const request = signedBy('execute-api', { headers: { 'X-Amz-Security-Token': token } });

    // Act
    const refused = rejection(() =>
      verifySignature(wrong(request), {
        service: 'execute-api',
        region: 'us-east-1',
        now: NOW,
        lookup: (id) =>
          id === KEY.accessKeyId
            ? { secretAccessKey: KEY.secretAccessKey, sessionToken: token, identity: { id } }
            : undefined,
      }),
    );

    // Assess
    expect(refused.message).toContain('\nx-amz-security-token:<redacted>\n');
    expect(refused.message).not.toContain(token);
  });
});

// AWS echoes the pair and the whole header; the local stack redacts both (an Authorization header is a secret).
describe('an Authorization header that is not SigV4', () => {
  it.each([
    // https://github.com/cowinapi/developer.cowin/issues/129 ('token' … 'Bearer token'),
    // https://github.com/AstronomyAPI/Samples/issues/20 (the closing "'."), both API Gateway.
    [
      'Bearer tok',
      "'<redacted>' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer <redacted>'.",
    ],
    // A first word that is no known scheme may itself be a secret.
    [
      'sk_live_123 x',
      "'<redacted>' not a valid key=value pair (missing equal-sign) in Authorization header: '<redacted> <redacted>'.",
    ],
    [
      'Basic dXNlcjpwYXNz',
      "'<redacted>' not a valid key=value pair (missing equal-sign) in Authorization header: 'Basic <redacted>'.",
    ],
    // https://github.com/boto/boto3/issues/2280: a space after `Credential=`.
    [
      'AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00',
      "'<redacted>' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 <redacted>'.",
    ],
    // https://github.com/amzn/selling-partner-api-docs/issues/836: the header name repeated in its value.
    [
      'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00',
      "'<redacted>' not a valid key=value pair (missing equal-sign) in Authorization header: 'Authorization: <redacted>'.",
    ],
  ])('%s → 403 IncompleteSignatureException', (authorization, message) => {
    // Prepare
    const request: ReceivedRequest = {
      method: 'GET',
      target: '/prod/',
      headers: [
        ['Host', 'abc123.example.com'],
        ['X-Amz-Date', SIGNED_AT],
        ['Authorization', authorization],
      ],
      body: Buffer.alloc(0),
    };

    // Act & Assess
    expect(rejection(() => verifyFor('execute-api', request))).toEqual({
      status: 403,
      type: 'IncompleteSignatureException',
      message,
    });
  });
});

describe('signing keys remembered per credential and scope', () => {
  it('never lets a key derived for one secret, day or service verify another', () => {
    // Prepare: a request verified once, so its signing key is remembered.
    const request = signedBy('execute-api');
    expect(verifyFor('execute-api', request).identity).toEqual({ id: KEY.accessKeyId });
    const withSecret = (secretAccessKey: string) =>
      verifySignature(request, {
        service: 'execute-api',
        region: 'us-east-1',
        now: NOW,
        lookup: () => ({ secretAccessKey, identity: 'other' }),
      });

    // Act / Assess: another secret for the same access key id and day, another service.
    expect(rejection(() => withSecret(`${KEY.secretAccessKey}x`)).type).toBe('InvalidSignatureException');
    expect(rejection(() => verifyFor('lambda', request)).status).toBe(403);
    expect(verifyFor('execute-api', request).identity).toEqual({ id: KEY.accessKeyId });
  });
});
