import { randomUUID } from 'node:crypto';
import { versionOf } from '../../assembly/function-reference.js';
import type { FunctionModel, FunctionUrlModel } from '../../assembly/model.js';
import { AwsError, type ErrorShape } from '../../aws-error.js';
import { headTooLarge, type LocalRequest, type LocalResponse } from '../../http.js';
import { authorize } from '../../iam/authorize.js';
import { type RequestFacts, requestContext } from '../../iam/context-keys.js';
import type { DecisionSink } from '../../iam/decisions.js';
import { ANONYMOUS, type Identity } from '../../iam/identities.js';
import { verifyHead, withoutTokenAs } from '../../sigv4/verify.js';
import { admit } from '../admission.js';
import type { ServiceContext } from '../context.js';
import { eventPayload, forwardedHeaders, functionAnswer, MAX_EVENT_BYTES, traceHeaderFor } from '../integration.js';
import { payloadV2Event, toV2Response } from '../payload-v2.js';

/** Function URLs answer refusals as `{"Message":…}`. */
const URL_MESSAGE: ErrorShape = { body: (message) => JSON.stringify({ Message: message }) };

/**
 * A denial (or no signature), as function URLs answer it today (seen in users' logs; the docs
 * say only "403 Forbidden": https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
 */
export const functionUrlForbidden = () =>
  new AwsError(
    403,
    'AccessDeniedException',
    'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
    URL_MESSAGE,
  );
/**
 * A request over Lambda's 6 MB invocation payload, as function URLs answer it (seen:
 * https://github.com/anomalyco/sst/issues/5705, https://github.com/vercel/next.js/issues/70175).
 */
const payloadTooLarge = () =>
  new AwsError(
    413,
    'RequestEntityTooLargeException',
    `Request must be smaller than ${MAX_EVENT_BYTES} bytes for the InvokeFunction operation`,
    URL_MESSAGE,
  );
/** A function error or a malformed result: 502 (https://github.com/awsdocs/aws-lambda-developer-guide/issues/430). */
const internalError = () => new AwsError(502, '', 'Internal Server Error', URL_MESSAGE);

/**
 * The TLS session function URLs report to the function (AWS's recording for LocalStack's
 * test_lambda_url_echo_http_fixture_default has both headers); locally a fixed TLS 1.3 one.
 */
const TLS_HEADERS: [string, string][] = [
  ['x-amzn-tls-cipher-suite', 'TLS_AES_128_GCM_SHA256'],
  ['x-amzn-tls-version', 'TLSv1.3'],
];

/** The two permissions a call through a function URL needs (Lambda, since October 2025). */
const PERMISSIONS = (authType: string) =>
  [
    { action: 'lambda:InvokeFunctionUrl', keys: { 'lambda:FunctionUrlAuthType': authType } },
    { action: 'lambda:InvokeFunction', keys: { 'lambda:InvokedViaFunctionUrl': 'true' } },
  ] as const;

/**
 * A function URL's authorization: both permissions, each decided by the caller's identity
 * policies and the function's resource policy (with AuthType NONE, that policy alone).
 * Throws the 403 AWS answers; the server and the `access` matrix both decide through it.
 */
export function authorizeFunctionUrl(
  url: FunctionUrlModel,
  fn: FunctionModel | undefined,
  caller: Identity | undefined,
  method: string,
  facts: RequestFacts,
  decisions?: DecisionSink,
): void {
  const resource = url.qualifier ? `${url.functionArn}:${url.qualifier}` : url.functionArn;
  const resourcePolicy = fn && { Statement: fn.permissions };
  for (const { action, keys } of PERMISSIONS(url.authType)) {
    const decision = authorize(
      {
        caller: caller ?? ANONYMOUS,
        action,
        resource,
        resourceAccountId: url.accountId,
        resourcePolicy,
        resourcePolicyName: fn ? `${fn.stackName}/${fn.logicalId} permissions` : undefined,
        context: { ...requestContext(facts), ...keys },
        kind: 'functionUrl',
        endpoint: `${method} ${fn?.name ?? url.logicalId} function URL`,
      },
      decisions,
    );
    // With AuthType NONE the caller is anonymous: only the function's resource policy can allow (a public `*` statement).
    if (!decision.allowed) throw functionUrlForbidden();
  }
}

/**
 * Serves one request to a Lambda function URL: SigV4 with the service `lambda` (AuthType
 * `AWS_IAM`), then both `lambda:InvokeFunctionUrl` (condition key `lambda:FunctionUrlAuthType`)
 * and `lambda:InvokeFunction` (`lambda:InvokedViaFunctionUrl`) decided by the caller's identity
 * policies and the function's resource policy, a payload 2.0 event, and its response mapping.
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html)
 *
 * @param target the path and query after the URL's host (or the local `/lambda-url/<id>` prefix).
 */
export async function handleFunctionUrlRequest(
  url: FunctionUrlModel,
  request: LocalRequest,
  target: string,
  context: ServiceContext,
): Promise<LocalResponse> {
  // No AWS page gives function URLs a header quota; users see Lambda's payload refusal for
  // 10–12 KB of cookies (https://github.com/nextauthjs/next-auth/issues/7215,
  // https://github.com/vercel/next.js/issues/70175), so past API Gateway's 10,240 bytes it is that.
  if (headTooLarge(request)) throw payloadTooLarge();
  const now = context.now?.() ?? new Date();
  const runtime = context.runtimes.get(url.functionArn);
  const facts = { now, sourceIp: request.sourceIp, headers: request.headers, region: url.region, via: request.via };
  const verify = () =>
    withoutTokenAs(functionUrlForbidden, () =>
      verifyHead(request, { service: 'lambda', region: url.region, lookup: context.identities.lookup, now }),
    );
  const { caller, body } = await admit(
    request,
    {
      verify: url.authType === 'AWS_IAM' ? verify : undefined,
      authorize: (claimed, decisions) =>
        authorizeFunctionUrl(url, runtime?.fn, claimed, request.method, facts, decisions),
      // A body past the payload is past the event that carries it: refused unread.
      bodyLimit: { bytes: MAX_EVENT_BYTES, tooLarge: payloadTooLarge },
    },
    context.decisions,
  );
  const version = runtime && versionOf(runtime.fn.qualifiers, url.qualifier);
  if (!runtime || version === undefined) throw internalError();
  const q = target.indexOf('?');
  const domainName = new URL(url.url).hostname;
  const event = payloadV2Event({
    routeKey: '$default',
    rawPath: q === -1 ? target : target.slice(0, q),
    rawQueryString: q === -1 ? '' : target.slice(q + 1),
    method: request.method,
    headers: forwardedHeaders(request.headers, {
      host: domainName,
      sourceIp: request.sourceIp,
      traceHeader: traceHeaderFor(request.headers),
      adds: TLS_HEADERS,
    }),
    body,
    caller,
    sourceIp: request.sourceIp,
    requestId: randomUUID(),
    now,
    accountId: url.accountId,
    apiId: url.urlId,
    domainName,
    stage: '$default',
  });
  const outcome = await runtime.invoke(eventPayload(event, { request, body }, payloadTooLarge), { version });
  return functionAnswer(outcome, toV2Response, internalError);
}
