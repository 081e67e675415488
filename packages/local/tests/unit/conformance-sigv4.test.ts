/**
 * SigV4 answers of the local stack against AWS's, one row per behaviour, each with the public
 * source it was checked against, over real HTTP to a stack started from the shared assembly.
 * Requests are signed by a third-party signer (aws4) as the operator, then tampered with.
 *
 * AWS prints the signed `x-amz-security-token` in a wrong signature's canonical request; the
 * local stack prints `<redacted>` there (a secret never reaches an error message). Should it
 * ever leak, the token is replaced by `<token>` before any assertion, so no failure output shows it.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import aws4 from 'aws4';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack, LocalState } from '../../src/stack.js';
import { principal, startStack } from '../helpers/stack.js';

let stack: LocalStack;
let state: LocalState;
let url: string;

beforeAll(async () => {
  ({ stack, state, url } = await startStack(inject('oneAccount')));
});
afterAll(() => stack.close());

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** AWS's message, the session token shown as `<redacted>` (a secret never reaches an error message here). */
const explained = (canonicalRequest: string, stringToSign: string) =>
  `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonicalRequest.replace(/^x-amz-security-token:.*$/m, 'x-amz-security-token:<redacted>')}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type Target = 'execute-api' | 'lambda';

interface Build {
  target: Target;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Edits the signed headers before sending. */
  tamper?: (headers: Record<string, string>) => void;
}

interface Sent {
  body: string;
  /** The third-party signer, to read the canonical request and string to sign it computed. */
  signer: aws4.RequestSigner;
}

interface Answer {
  status: number;
  type: string | undefined;
  message: string | undefined;
}

/** Signs with aws4 as the operator, applies `tamper`, sends over HTTP and reads the answer. */
async function send(build: Build): Promise<{ sent: Sent; answer: Answer }> {
  const operator = principal(state, 'operator');
  const requestor = state.functions.find((f) => f.name === 'requestor');
  const target =
    build.target === 'execute-api'
      ? new URL('echo/conformance?x=1', url)
      : new URL(`/2015-03-31/functions/${requestor?.functionName}/invocations`, state.lambdaEndpoint);
  const method = build.method ?? 'POST';
  const body = build.body ?? (method === 'GET' ? '' : '{"from":"conformance"}');
  const extra = build.target === 'lambda' ? { 'X-Amz-Invocation-Type': 'DryRun' } : {};
  const signer = new aws4.RequestSigner(
    {
      host: target.host,
      path: `${target.pathname}${target.search}`,
      method,
      service: build.target,
      region: state.region,
      body,
      headers: { 'Content-Type': 'application/json', ...extra, ...build.headers },
    },
    operator,
  );
  const headers = { ...(signer.sign().headers as Record<string, string>) };
  build.tamper?.(headers);
  const answer = await new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(target, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const parsed = text === '' ? {} : (JSON.parse(text) as { message?: string; Message?: string });
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['x-amzn-errortype'] as string | undefined,
          message: parsed.message ?? parsed.Message,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
  return { sent: { body, signer }, answer };
}

/** The session token, wherever it is, as `<token>`. */
const redact = (text: string | undefined) => text?.replaceAll(principal(state, 'operator').sessionToken, '<token>');

/** The canonical request API Gateway computes: the signer's, but over the body's hash. */
function bodyHashed(sent: Sent): { canonicalRequest: string; stringToSign: string } {
  const signed = sent.signer.canonicalString();
  const canonicalRequest = `${signed.slice(0, signed.lastIndexOf('\n'))}\n${sha256(sent.body)}`;
  const [algorithm, date, scope] = sent.signer.stringToSign().split('\n');
  return { canonicalRequest, stringToSign: [algorithm, date, scope, sha256(canonicalRequest)].join('\n') };
}

const flipLastHex = (headers: Record<string, string>) => {
  headers.Authorization = (headers.Authorization ?? '').replace(/[0-9a-f]$/, (c) => (c === '0' ? '1' : '0'));
};

interface Row {
  behaviour: string;
  source: string;
  build: Build;
  status: number;
  type?: string;
  /** The exact message, or how to compute it from what was sent (`<token>` for the session token). */
  message?: string | ((sent: Sent) => string);
}

const rows: Row[] = [
  {
    behaviour: 'execute-api refuses a signature over UNSIGNED-PAYLOAD: the mismatch, over the body hash',
    // No AWS page shows API Gateway's answer; the closest documented one, a signature mismatch:
    // https://github.com/aws/aws-sdk-js-v3/issues/308 ("Signature mismatch for execute api service",
    // signed with X-Amz-Content-Sha256: UNSIGNED-PAYLOAD), https://github.com/apache/opendal-reqsign/issues/346.
    source: 'https://github.com/apache/opendal-reqsign/issues/346',
    build: { target: 'execute-api', headers: { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' } },
    status: 403,
    type: 'InvalidSignatureException',
    message: (sent) => {
      const { canonicalRequest, stringToSign } = bodyHashed(sent);
      return explained(canonicalRequest, stringToSign);
    },
  },
  {
    behaviour: 'the Lambda Invoke API refuses a signature over UNSIGNED-PAYLOAD',
    // "Lambda doesn't support unsigned payloads."
    source:
      'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html',
    build: { target: 'lambda', headers: { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' } },
    status: 403,
    type: 'InvalidSignatureException',
    message: MISMATCH,
  },
  {
    behaviour: 'execute-api: x-amz-content-sha256 is optional, the body is hashed without it',
    // The official SigV4 suite signs POST bodies without the header (post-vanilla, post-x-www-form-urlencoded).
    source:
      'https://github.com/awslabs/aws-c-auth/tree/main/tests/aws-signing-test-suite/v4/post-x-www-form-urlencoded',
    build: { target: 'execute-api' },
    status: 200,
  },
  {
    behaviour: 'execute-api: a signed x-amz-content-sha256 holding the body hash is accepted',
    source: 'https://github.com/awslabs/aws-c-auth/tree/main/tests/aws-signing-test-suite/v4',
    build: { target: 'execute-api', headers: { 'X-Amz-Content-Sha256': sha256('{"from":"conformance"}') } },
    status: 200,
  },
  {
    behaviour: 'the Lambda Invoke API: x-amz-content-sha256 is optional (DryRun answers 204)',
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html',
    build: { target: 'lambda' },
    status: 204,
  },
  {
    behaviour:
      'execute-api: a wrong signature names the canonical request and string to sign (the signed token redacted)',
    // The message format and a printed x-amz-security-token: https://github.com/mhart/aws4/issues/110;
    // also https://github.com/postmanlabs/postman-app-support/issues/1663.
    source: 'https://github.com/mhart/aws4/issues/110',
    build: { target: 'execute-api', tamper: flipLastHex },
    status: 403,
    type: 'InvalidSignatureException',
    message: (sent) => explained(sent.signer.canonicalString(), sent.signer.stringToSign()),
  },
  {
    behaviour: 'the Lambda Invoke API: a wrong signature gets the first sentence only',
    // A 192-byte body (exactly {"message":"<first sentence>"}) in erlcloud #690 (2021);
    // the same bare message in https://github.com/rusoto/rusoto/issues/1035 (2018).
    source: 'https://github.com/erlcloud/erlcloud/issues/690',
    build: { target: 'lambda', tamper: flipLastHex },
    status: 403,
    type: 'InvalidSignatureException',
    message: MISMATCH,
  },
  {
    behaviour: 'execute-api: Authorization: Bearer tok is an incomplete signature naming the pair without =',
    // "'token' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer token'";
    // the closing "'." in https://github.com/AstronomyAPI/Samples/issues/20.
    source: 'https://github.com/cowinapi/developer.cowin/issues/129',
    build: {
      target: 'execute-api',
      tamper: (headers) => {
        headers.Authorization = 'Bearer tok';
      },
    },
    status: 403,
    type: 'IncompleteSignatureException',
    // AWS echoes 'tok' and 'Bearer tok'; the local stack redacts them (an Authorization header is a secret).
    message:
      "'<redacted>' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer <redacted>'.",
  },
];

describe('SigV4 conformance with AWS, over HTTP', () => {
  it.each(rows)('$behaviour ($source)', async ({ build, status, type, message }) => {
    // Act
    const { sent, answer } = await send(build);

    // Assess: the token never reaches an assertion's output.
    const expected = typeof message === 'function' ? message(sent) : message;
    expect({ ...answer, message: redact(answer.message) }).toEqual({
      status,
      type,
      message: redact(expected),
    });
    // The Authorization header is never a line of the canonical request a message shows.
    expect(/^authorization:/im.test(answer.message ?? '')).toBe(false);
  });

  it('the wrong-signature message names the signed token header but not its value (AWS prints it: https://github.com/mhart/aws4/issues/110)', async () => {
    // Act
    const { answer } = await send({ target: 'execute-api', tamper: flipLastHex });

    // Assess
    expect(redact(answer.message)).toContain('\nx-amz-security-token:<redacted>\n');
    expect(redact(answer.message)).not.toContain('<token>');
    expect(redact(answer.message)).not.toMatch(/^authorization:/m);
  });
});
