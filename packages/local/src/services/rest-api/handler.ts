import { randomUUID } from 'node:crypto';
import { lambdaProxyMethodWrong } from '../../assembly/integrations.js';
import type { LambdaAuthorizerModel, RestApiModel } from '../../assembly/model.js';
import {
  AwsError,
  CAPITAL_MESSAGE,
  GATEWAY_MESSAGE,
  integrationError,
  missingAuthenticationToken,
} from '../../aws-error.js';
import { headerOf, headersTooLarge, headTooLarge, type LocalRequest, type LocalResponse } from '../../http.js';
import { type Authorization, authorize } from '../../iam/authorize.js';
import { type RequestFacts, requestContext } from '../../iam/context-keys.js';
import { derivedPolicy } from '../../iam/decision-cache.js';
import type { DecisionSink } from '../../iam/decisions.js';
import { ANONYMOUS, type Identity } from '../../iam/identities.js';
import { asList, type PolicyDocument, statementsOf } from '../../iam/policy.js';
import type { InvocationResult } from '../../lambda/runtime.js';
import { verifyHead } from '../../sigv4/verify.js';
import { admit } from '../admission.js';
import type { ServiceContext } from '../context.js';
import {
  apiGatewayIntegration,
  eventPayload,
  functionAnswer,
  invokeWithin,
  setHeader,
  traceHeaderFor,
} from '../integration.js';
import { askAuthorizer } from '../lambda-authorizer.js';
import { endpointPolicy } from '../vpc-endpoint/endpoint.js';
import {
  authorizerDenied,
  REST_REFUSALS,
  restAuthorizerContext,
  restAuthorizerEvent,
  restIdentity,
} from './authorizer.js';
import {
  type CloudFrontHop,
  cloudFrontHop,
  cloudFrontResponseHeaders,
  isBinaryMediaType,
  newExtendedRequestId,
  proxyQuery,
  requestTime,
  restIntegrationHeaders,
  restPathParameters,
  restProxyEvent,
  toProxyResponse,
} from './event.js';
import { httpAnswer, httpProxyAnswer } from './http-backend.js';
import { mockAnswer, type TemplateValues } from './mock.js';
import { invokeArn, matchRoute, type RouteMatch, routesOf } from './routes.js';
import { StageTrace } from './stage-trace.js';

const internalError = () => new AwsError(502, 'InternalServerErrorException', 'Internal server error', GATEWAY_MESSAGE);

/** IAM authorization's limit on a method ARN (API Gateway quotas: "414 Request URI too long" past it). */
const MAX_METHOD_ARN = 1600;

/** `arn:aws:execute-api:<region>:********1234:…`: AWS masks the API's account in denials. */
const maskAccount = (arn: string) => arn.replace(/^(arn:[^:]+:execute-api:[^:]*:)\d{8}(\d{4}:)/, '$1********$2');

/** `execute-api:/prod/GET/x` (resource policy short form) → the full ARN of this API. */
export function expandShortForms(policy: PolicyDocument, apiArn: string): PolicyDocument {
  const expand = (resource: string) =>
    resource.startsWith('execute-api:/') ? `${apiArn}/${resource.slice(13)}` : resource;
  return {
    ...policy,
    Statement: statementsOf(policy).map((statement) => ({
      ...statement,
      ...(statement.Resource !== undefined ? { Resource: asList(statement.Resource).map(expand) } : {}),
      ...(statement.NotResource !== undefined ? { NotResource: asList(statement.NotResource).map(expand) } : {}),
    })),
  };
}

/** The API's policy with its short forms expanded: one document per API, so decisions on it are remembered. */
const restApiPolicy = (api: RestApiModel, policy: PolicyDocument, apiArn: string): PolicyDocument =>
  derivedPolicy(api, 'policy', () => expandShortForms(policy, apiArn));

/** Where a request to a REST API lands: its method, paths and ARN. */
export interface RestRoute {
  route: RouteMatch;
  /** The path after the stage, as received. */
  path: string;
  /** The method ARN IAM authorizes: `<api arn>/<stage>/<VERB>/<path as routed>`. */
  methodArn: string;
  apiArn: string;
}

/**
 * Routes a request as API Gateway does, before any signature is looked at: an unknown stage or
 * route is 403 Missing Authentication Token, signed or not.
 *
 * @param received the path from the stage on, e.g. `/prod/echo`, still encoded.
 */
export function routeRestRequest(api: RestApiModel, method: string, received: string): RestRoute {
  // Slashes before the stage count as one: AWS served `//stage/x` as `/stage/x` (LocalStack's
  // recording of test_lambda_aws_proxy_integration); after it they are the path's own.
  const wirePath = received.replace(/^\/+/, '/');
  const stagePrefix = `/${api.stageName}`;
  if (wirePath !== stagePrefix && !wirePath.startsWith(`${stagePrefix}/`))
    throw missingAuthenticationToken().because(
      `no stage ${JSON.stringify(wirePath.split('/')[1] ?? '')} on REST API ${api.restApiId}; its stage: ${api.stageName}`,
    );
  const path = wirePath.slice(stagePrefix.length) || '/';
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new AwsError(400, 'BadRequestException', "The request path must not contain '.' or '..' segments.");
  }
  const route = matchRoute(api.methods, method, path);
  if (!route)
    throw missingAuthenticationToken().because(
      `no method of REST API ${api.restApiId} matches ${method} ${path}; it has ${routesOf(api.methods)}`,
    );
  const { authorizationType } = route.method;
  const apiArn = `arn:aws:execute-api:${api.region}:${api.accountId}:${api.restApiId}`;
  const methodArn = invokeArn(apiArn, api.stageName, method, path);
  if (authorizationType === 'AWS_IAM' && methodArn.length > MAX_METHOD_ARN)
    throw new AwsError(414, '', 'Request-URI Too Long');
  return { route, path, methodArn, apiArn };
}

/**
 * API Gateway's authorization of a routed request: for AWS_IAM the verified caller's identity
 * policies, the API's resource policy and the VPC endpoint's policy, one decision; for any other
 * method the endpoint's policy first (for whoever signed, else anonymous: API Gateway, "VPC
 * endpoint policies for private APIs"), then for NONE the resource policy alone, for no IAM
 * principal; a Lambda authorizer's method gets the resource policy's explicit deny before its
 * authorizer (the authorization workflow, Table A), a Cognito one authenticates first; neither
 * authorizer runs here, so both end in 401. Throws the 403 AWS answers; the server and the
 * `access` matrix both decide through it.
 */
export function authorizeRestRequest(
  api: RestApiModel,
  routed: RestRoute,
  method: string,
  caller: Identity | undefined,
  facts: RequestFacts,
  decisions?: DecisionSink,
  lambda?: (authorizer: LambdaAuthorizerModel, decisions?: DecisionSink) => Promise<void>,
): void | Promise<void> {
  const { authorizationType } = routed.route.method;
  if (authorizationType === 'AWS_IAM') {
    const who = caller ?? ANONYMOUS;
    const decision = authorize(restAuthorization(api, routed, method, who, facts, 'all'), decisions);
    if (!decision.allowed) throw notAuthorized(who, routed, decision.explicitDeny);
    return;
  }
  endpointFirst(api, routed, method, caller ?? ANONYMOUS, facts, decisions);
  if (authorizationType === 'NONE') {
    if (!api.policy) return;
    const decision = authorize(restAuthorization(api, routed, method, ANONYMOUS, facts, 'api'), decisions);
    if (!decision.allowed) throw notAuthorized(ANONYMOUS, routed, decision.explicitDeny);
    return;
  }
  if (authorizationType === 'CUSTOM' && api.policy) {
    const question = restAuthorization(api, routed, method, ANONYMOUS, facts, 'api');
    if (authorize(question).explicitDeny) {
      authorize(question, decisions);
      throw notAuthorized(ANONYMOUS, routed, true);
    }
  }
  const { authorizer } = routed.route.method;
  if (authorizationType === 'CUSTOM' && authorizer && lambda) return lambda(authorizer, decisions);
  throw new AwsError(401, 'UnauthorizedException', 'Unauthorized').because(
    authorizer
      ? `the Lambda authorizer ${authorizer.name} decides each call when it is made`
      : `the method's ${authorizationType} authorizer is not reproduced locally; it refuses every call here`,
  );
}

/**
 * A method's Lambda authorizer asked about one request, its answer evaluated with the API's
 * resource policy (the authorization workflow, Table A); on success what it passes on to the
 * integration (`requestContext.authorizer`) is handed to `passOn`.
 */
function askRestAuthorizer(
  api: RestApiModel,
  routed: RestRoute,
  request: LocalRequest,
  asked: {
    facts: RequestFacts;
    rawQuery: string;
    requestId: string;
    event: () => Record<string, unknown>;
    context: ServiceContext;
  },
  passOn: (authorizer: Record<string, unknown>) => void,
) {
  return async (authorizer: LambdaAuthorizerModel, decisions?: DecisionSink): Promise<void> => {
    const started = Date.now();
    const identity = restIdentity(authorizer, {
      request,
      query: [...new URLSearchParams(asked.rawQuery)],
      methodArn: routed.methodArn,
      contextValues: requestContextValues(api, routed, request, asked.requestId),
    });
    const answer = await askAuthorizer(
      asked.context,
      {
        authorizer,
        apiArn: routed.apiArn,
        apiAccountId: api.accountId,
        identity,
        event: () => restAuthorizerEvent(authorizer, identity ?? [], routed.methodArn, asked.event),
        timeoutMs: 29_000,
      },
      REST_REFUSALS,
    );
    const decision = authorize(
      restAuthorization(api, routed, request.method, answer.caller, asked.facts, 'api'),
      decisions,
    );
    if (!decision.allowed) throw authorizerDenied(decision);
    passOn(restAuthorizerContext(answer, Date.now() - started));
  };
}

/**
 * What IAM is asked of a call to a method: the caller, the method ARN, and the policies of one
 * step — the API's and the endpoint's (`all`), the endpoint's alone (`endpoint`), the API's alone (`api`).
 */
function restAuthorization(
  api: RestApiModel,
  routed: RestRoute,
  method: string,
  caller: Identity,
  facts: RequestFacts,
  policies: 'all' | 'endpoint' | 'api',
): Authorization {
  const via = facts.via?.endpoint;
  return {
    caller,
    action: 'execute-api:Invoke',
    resource: routed.methodArn,
    resourceAccountId: api.accountId,
    resourcePolicy: policies !== 'endpoint' && api.policy ? restApiPolicy(api, api.policy, routed.apiArn) : undefined,
    resourcePolicyName: `${api.stackName}/${api.logicalId} policy`,
    context: requestContext(facts),
    kind: 'rest',
    endpoint: `${method} /${api.stageName}${routed.path}${via ? ` (through ${via.id})` : ''}`,
    endpointPolicy: policies !== 'api' && via ? endpointPolicy(via) : undefined,
  };
}

/**
 * The policy of the VPC endpoint a request came through, evaluated first for `who` (the signer,
 * else the anonymous caller an unsigned request or a token is); recorded and thrown when it does
 * not allow them. Nothing without an endpoint or with its default policy.
 */
function endpointFirst(
  api: RestApiModel,
  routed: RestRoute,
  method: string,
  who: Identity,
  facts: RequestFacts,
  decisions?: DecisionSink,
): void {
  if (!facts.via?.endpoint.policy) return;
  const question = restAuthorization(api, routed, method, who, facts, 'endpoint');
  const verdict = authorize(question).policies.find((policy) => policy.kind === 'endpoint')?.verdict;
  if (verdict === 'allow' || verdict === 'delegated') return;
  authorize(question, decisions);
  throw notAuthorized(who, routed, verdict === 'deny');
}

const notAuthorized = (who: Identity, routed: RestRoute, explicitDeny: boolean) =>
  new AwsError(
    403,
    'AccessDeniedException',
    `User: ${who.principal.arn} is not authorized to perform: execute-api:Invoke on resource: ${maskAccount(routed.methodArn)}${explicitDeny ? ' with an explicit deny' : ''}`,
    CAPITAL_MESSAGE,
  );

/**
 * Through a VPC endpoint with a policy of its own, an unsigned request to an AWS_IAM method meets
 * the endpoint's policy first, as the anonymous caller it is: refused there before its missing
 * signature is (API Gateway, "VPC endpoint policies for private APIs": "The VPC endpoint policy
 * is evaluated first, and then API Gateway evaluates the request, based on the type of
 * authorization configured on the method request").
 */
function unsignedThroughEndpoint(
  api: RestApiModel,
  routed: RestRoute,
  request: LocalRequest,
  facts: RequestFacts,
  decisions?: DecisionSink,
): void {
  if (routed.route.method.authorizationType !== 'AWS_IAM' || isSigV4(request)) return;
  endpointFirst(api, routed, request.method, ANONYMOUS, facts, decisions);
}

/** A request signed with SigV4 (its Authorization header, or a presigned query); a bearer token is not. */
const isSigV4 = (request: LocalRequest) =>
  /^AWS4-/i.test(headerOf(request.headers, 'authorization')?.trim() ?? '') ||
  /[?&]X-Amz-Signature=/i.test(request.target);

/**
 * A private API answers only through an execute-api VPC endpoint, and an endpoint reaches only
 * private APIs: a public API through one answers 403 (API Gateway, "Invoke a private API": with
 * private DNS on, the VPC's calls to public APIs go to the endpoint and are refused).
 */
export function privateOnlyThroughEndpoints(api: RestApiModel, request: Pick<LocalRequest, 'via'>): void {
  const isPrivate = api.endpointType === 'PRIVATE';
  if (isPrivate === (request.via?.endpoint.service === 'execute-api')) return;
  throw new AwsError(403, 'ForbiddenException', 'Forbidden').because(
    isPrivate
      ? `REST API ${api.restApiId} is private: it answers only through an execute-api VPC endpoint (the state file's vpcEndpoints[].url, or a function in a VPC with one)`
      : `REST API ${api.restApiId} is ${api.endpointType ?? 'EDGE'}, not private: a VPC endpoint reaches private APIs only`,
  );
}

/**
 * Serves one request to a REST API as API Gateway does: route (unknown → 403 Missing
 * Authentication Token), AWS_IAM signature, authorization (identity and resource policies),
 * Lambda permission, proxy integration, response mapping (malformed or failed → 502). A stage
 * with X-Ray tracing records its segment, refusals included, and hands the trace to the function.
 *
 * @param stagePath the request target from the stage on, e.g. `/prod/echo?x=1`.
 */
export async function handleRestApiRequest(
  api: RestApiModel,
  request: LocalRequest,
  stagePath: string,
  context: ServiceContext,
): Promise<LocalResponse> {
  // Before its stage sees it: a private API is not there for a request from outside a VPC.
  privateOnlyThroughEndpoints(api, request);
  const requestId = randomUUID();
  const { segments } = context;
  const onStage =
    `${stagePath}/`.replace(/^\/+/, '/').startsWith(`/${api.stageName}/`) ||
    stagePath.replace(/^\/+/, '/').startsWith(`/${api.stageName}?`);
  const trace = segments && onStage ? StageTrace.begin(api, request, segments) : undefined;
  if (!segments || !trace) return serveRestApiRequest(api, request, stagePath, context, requestId);
  const answer = { status: 500, contentLength: 0 };
  try {
    const response = await serveRestApiRequest(api, request, stagePath, context, requestId, trace);
    answer.status = response.status;
    answer.contentLength = Buffer.byteLength(response.body);
    return response;
  } catch (error) {
    if (error instanceof AwsError) {
      answer.status = error.status;
      answer.contentLength = Buffer.byteLength(error.body);
    }
    throw error;
  } finally {
    if (trace.upstream.sampled) segments.record(trace.segment(api, request, stagePath, answer, requestId));
  }
}

async function serveRestApiRequest(
  api: RestApiModel,
  request: LocalRequest,
  stagePath: string,
  context: ServiceContext,
  requestId: string,
  trace?: StageTrace,
): Promise<LocalResponse> {
  if (headTooLarge(request)) throw headersTooLarge();
  const q = stagePath.indexOf('?');
  const routed = routeRestRequest(api, request.method, q === -1 ? stagePath : stagePath.slice(0, q));
  const { route } = routed;
  const now = context.now?.() ?? new Date();
  const facts = { now, sourceIp: request.sourceIp, headers: request.headers, region: api.region, via: request.via };
  // Through an endpoint with a policy of its own, a NONE method's caller is who signed (API Gateway:
  // "VPC endpoint policies for private APIs": an invalid signature is refused, none is anonymous).
  const signed =
    route.method.authorizationType === 'AWS_IAM' || (request.via?.endpoint.policy !== undefined && isSigV4(request));
  unsignedThroughEndpoint(api, routed, request, facts, context.decisions);
  const rawQuery = q === -1 ? '' : stagePath.slice(q + 1);
  const gatewayFacts = {
    requestId,
    extendedRequestId: newExtendedRequestId(),
    edge: (api.endpointType ?? 'EDGE') === 'EDGE' ? cloudFrontHop() : undefined,
  };
  const authorizer = authorizerHook(api, routed, request, { facts, rawQuery, context, gateway: gatewayFacts });
  const { caller, body } = await admit(
    request,
    {
      verify: signed
        ? () =>
            verifyHead(request, { service: 'execute-api', region: api.region, lookup: context.identities.lookup, now })
        : undefined,
      authorize: (claimed, decisions) =>
        authorizeRestRequest(api, routed, request.method, claimed, facts, decisions, authorizer.ask),
    },
    context.decisions,
  );

  // After authorization, the API key: without a valid x-api-key API Gateway answers 403
  // Forbidden; keys are not reproduced, so such a method fails closed.
  if (route.method.apiKeyRequired) throw new AwsError(403, 'ForbiddenException', 'Forbidden');
  const admitted: AdmittedRequest = { routed, rawQuery, body, caller, authorizer: authorizer.passedOn() };
  const type = route.method.integrationType ?? 'AWS_PROXY';
  if (type === 'MOCK' || type === 'HTTP' || type === 'HTTP_PROXY')
    return withGatewayHeaders(await gatewayIntegrationAnswer(api, request, admitted, gatewayFacts, context), {
      ...gatewayFacts,
      traceHeader: traceHeaderFor(request.headers),
    });
  if (type !== 'AWS_PROXY')
    throw integrationError(
      `${request.method} /${api.stageName}${routed.path} of REST API ${api.restApiId}: its ${type} integration is not reproduced locally (AWS_PROXY, MOCK, HTTP_PROXY and HTTP are)`,
    );
  // Recorded by LocalStack's test_lambda_aws_proxy_integration_non_post_method (AWS, 2024-07-10).
  if (lambdaProxyMethodWrong(route.method))
    throw integrationError(
      `${request.method} /${api.stageName}${routed.path} of REST API ${api.restApiId}: its Lambda proxy integration invokes Lambda with ${route.method.integrationHttpMethod}; Lambda's Invoke API takes only POST (IntegrationHttpMethod: POST)`,
    );
  return lambdaProxyAnswer(api, request, admitted, gatewayFacts, { context, trace });
}

/**
 * The method's Lambda authorizer, ready to be asked about this request (its REQUEST event is the
 * proxy event's, without a body), and what it passed on once it allowed the request.
 */
function authorizerHook(
  api: RestApiModel,
  routed: RestRoute,
  request: LocalRequest,
  {
    facts,
    rawQuery,
    context,
    gateway,
  }: {
    facts: RequestFacts;
    rawQuery: string;
    context: ServiceContext;
    gateway: Omit<GatewayFacts, 'traceHeader'>;
  },
) {
  let passed: Record<string, unknown> | undefined;
  const event = () =>
    integrationEvent(
      api,
      request,
      { routed, rawQuery, body: Buffer.alloc(0), caller: undefined },
      { ...gateway, traceHeader: traceHeaderFor(request.headers) },
      context,
    );
  const ask = askRestAuthorizer(
    api,
    routed,
    request,
    { facts, rawQuery, requestId: gateway.requestId, context, event },
    (authorizer) => {
      passed = authorizer;
    },
  );
  return { ask, passedOn: () => passed };
}

/**
 * A Lambda proxy integration's answer: the function API Gateway may invoke (its permission for
 * the method ARN), the proxy event, within the integration's timeout (29 s unless the method
 * says otherwise; the function runs under a Lambda request id of its own, as on AWS), its result
 * mapped (malformed or failed: 502).
 */
async function lambdaProxyAnswer(
  api: RestApiModel,
  request: LocalRequest,
  admitted: AdmittedRequest,
  gatewayFacts: Omit<GatewayFacts, 'traceHeader'>,
  { context, trace }: { context: ServiceContext; trace: StageTrace | undefined },
): Promise<LocalResponse> {
  const { method } = admitted.routed.route;
  const integration = apiGatewayIntegration(context, method.functionArn, admitted.routed.methodArn, api.accountId);
  const traceContext = trace?.startLambda(integration.runtime.fn);
  // With tracing, the integration's X-Amzn-Trace-Id is API Gateway's context, not the caller's.
  const traceHeader = traceContext && trace ? trace.headerFor(traceContext) : traceHeaderFor(request.headers);
  const gateway: GatewayFacts = { ...gatewayFacts, traceHeader };
  const event = integrationEvent(api, request, admitted, gateway, context);
  const payload = eventPayload(
    event,
    { request, body: admitted.body },
    () => new AwsError(413, 'BadRequestException', 'Request Too Long', GATEWAY_MESSAGE),
  );
  const outcome = await invokeWithin(integration, payload, method.timeoutMs, traceContext);
  trace?.endLambda(outcome === 'timeout' ? undefined : 200);
  if (outcome === 'timeout') throw new AwsError(504, '', 'Endpoint request timed out', GATEWAY_MESSAGE);
  return withGatewayHeaders(mappedAnswer(outcome, api, request), gateway);
}

/**
 * The function's result as the caller's answer (502 when it failed or answered malformed); its
 * base64 body decoded when the request's `Accept` is one of the API's binary media types.
 */
function mappedAnswer(outcome: InvocationResult, api: RestApiModel, request: LocalRequest): LocalResponse {
  const accept = headerOf(request.headers, 'accept');
  const decodeBase64 = isBinaryMediaType(accept, api.binaryMediaTypes);
  return functionAnswer(outcome, (result) => toProxyResponse(result, { decodeBase64 }), internalError);
}

/** What API Gateway made of one request: its ids, its trace, its hop through CloudFront (EDGE). */
interface GatewayFacts {
  requestId: string;
  extendedRequestId: string;
  traceHeader: string;
  edge: CloudFrontHop | undefined;
}

/** A request past authorization: where it goes, its query and body, who sent it, what an authorizer passed on. */
interface AdmittedRequest {
  routed: RestRoute;
  rawQuery: string;
  body: Buffer;
  caller: Identity | undefined;
  authorizer?: Record<string, unknown> | undefined;
}

/** The proxy event of an admitted request. */
function integrationEvent(
  api: RestApiModel,
  request: LocalRequest,
  admitted: AdmittedRequest,
  gateway: GatewayFacts,
  context: ServiceContext,
): Record<string, unknown> {
  const { route, path } = admitted.routed;
  const contentType = headerOf(request.headers, 'content-type');
  return restProxyEvent({
    api,
    resourceId: route.method.resourceId,
    resourcePath: route.method.resourcePath,
    path,
    httpMethod: request.method,
    headers: restIntegrationHeaders(request.headers, {
      api,
      sourceIp: request.sourceIp,
      traceHeader: gateway.traceHeader,
      edge: gateway.edge,
    }),
    query: proxyQuery(admitted.rawQuery),
    pathParameters: restPathParameters(route.method.resourcePath, path),
    body: admitted.body,
    binaryBody: isBinaryMediaType(contentType, api.binaryMediaTypes),
    caller: admitted.caller,
    sourceIp: request.sourceIp,
    requestId: gateway.requestId,
    extendedRequestId: gateway.extendedRequestId,
    now: context.now?.() ?? new Date(),
    via: request.via,
    authorizer: admitted.authorizer,
  });
}

/**
 * The headers API Gateway adds to an integration's answer (as AWS recorded them for LocalStack's
 * test_aws_proxy_response_payload_format_validation): its request ids, the trace, and through an
 * EDGE endpoint CloudFront's (`Connection: keep-alive`, on every kept connection, is the server's).
 */
function withGatewayHeaders(response: LocalResponse, gateway: GatewayFacts): LocalResponse {
  const { headers } = response;
  for (const [name, value] of gateway.edge ? cloudFrontResponseHeaders(gateway.edge) : [])
    setHeader(headers, name, value);
  setHeader(headers, 'X-Amzn-Trace-Id', /Root=[^;]+/.exec(gateway.traceHeader)?.[0] ?? gateway.traceHeader);
  setHeader(headers, 'x-amz-apigw-id', gateway.extendedRequestId);
  // Lowercase: the HTTP server adds its own request id under this very key when none is set.
  setHeader(headers, 'x-amzn-requestid', gateway.requestId);
  return response;
}

/**
 * The answer of an integration API Gateway itself answers or calls: MOCK from its templates,
 * HTTP_PROXY and HTTP from their backend.
 */
function gatewayIntegrationAnswer(
  api: RestApiModel,
  request: LocalRequest,
  admitted: AdmittedRequest,
  gateway: { requestId: string; extendedRequestId: string },
  context: ServiceContext,
): Promise<LocalResponse> | LocalResponse {
  const { method } = admitted.routed.route;
  const where = `${request.method} /${api.stageName}${admitted.routed.path} of REST API ${api.restApiId}`;
  const values = templateValues(api, request, admitted, gateway, context);
  if (method.integrationType === 'MOCK')
    return mockAnswer(method.templates ?? { requestTemplates: {}, responses: [] }, request, where, values);
  const call = {
    request,
    body: admitted.body,
    rawQuery: admitted.rawQuery,
    pathParameters: restPathParameters(method.resourcePath, admitted.routed.path),
  };
  const backend = { apiId: api.restApiId, traceHeader: traceHeaderFor(request.headers), origin: context.origin, where };
  return method.integrationType === 'HTTP'
    ? httpAnswer(method, call, backend, values)
    : httpProxyAnswer(method, call, backend);
}

/**
 * The `$context` values of a request that need no caller: what a REQUEST authorizer's
 * `context.*` identity sources and a mapping template's `$context.*` read.
 */
function requestContextValues(
  api: RestApiModel,
  routed: RestRoute,
  request: LocalRequest,
  requestId: string,
): Record<string, string> {
  const userAgent = headerOf(request.headers, 'user-agent');
  return {
    accountId: api.accountId,
    apiId: api.restApiId,
    domainName: `${api.restApiId}.execute-api.${api.region}.amazonaws.com`,
    httpMethod: request.method,
    path: `/${api.stageName}${routed.path}`,
    requestId,
    resourceId: routed.route.method.resourceId,
    resourcePath: routed.route.method.resourcePath,
    stage: api.stageName,
    'identity.sourceIp': request.sourceIp,
    ...(userAgent === undefined ? {} : { 'identity.userAgent': userAgent }),
  };
}

/** What a mapping template's references read for this request (`$context`, `$input`). */
function templateValues(
  api: RestApiModel,
  request: LocalRequest,
  admitted: AdmittedRequest,
  gateway: { requestId: string; extendedRequestId: string },
  context: ServiceContext,
): TemplateValues {
  const { routed, caller } = admitted;
  const now = context.now?.() ?? new Date();
  const pathParameters = restPathParameters(routed.route.method.resourcePath, routed.path) ?? {};
  const query = new URLSearchParams(admitted.rawQuery);
  const values: Record<string, string | undefined> = {
    ...requestContextValues(api, routed, request, gateway.requestId),
    extendedRequestId: gateway.extendedRequestId,
    protocol: 'HTTP/1.1',
    requestTime: requestTime(now),
    requestTimeEpoch: String(now.getTime()),
    'identity.accountId': caller?.principal.accountId,
    'identity.caller': caller?.userId,
    'identity.user': caller?.userId,
    'identity.userArn': caller?.principal.arn,
    ...Object.fromEntries(
      Object.entries(admitted.authorizer ?? {}).map(([key, value]) => [`authorizer.${key}`, String(value)]),
    ),
  };
  return {
    context: Object.fromEntries(
      Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    param: (name) => pathParameters[name] ?? query.get(name) ?? headerOf(request.headers, name.toLowerCase()),
    body: admitted.body.toString('utf8'),
  };
}
