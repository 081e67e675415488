import { randomUUID } from 'node:crypto';
import type { HttpApiModel, HttpRouteModel, LambdaAuthorizerModel, RestApiModel } from '../../assembly/model.js';
import { AwsError } from '../../aws-error.js';
import { headersTooLarge, headTooLarge, type LocalRequest, type LocalResponse } from '../../http.js';
import { authorize } from '../../iam/authorize.js';
import { type RequestFacts, requestContext } from '../../iam/context-keys.js';
import type { DecisionSink } from '../../iam/decisions.js';
import type { Identity } from '../../iam/identities.js';
import { verifyHead, withoutTokenAs } from '../../sigv4/verify.js';
import { admit } from '../admission.js';
import type { ServiceContext } from '../context.js';
import {
  apiGatewayIntegration,
  eventPayload,
  forwardedHeaders,
  functionAnswer,
  invokeWithin,
  traceHeaderFor,
} from '../integration.js';
import { type AuthorizerRefusals, askAuthorizer, identityValues } from '../lambda-authorizer.js';
import { payloadV2Event, toV2Response } from '../payload-v2.js';
import { newExtendedRequestId, proxyQuery, restProxyEvent, toProxyResponse } from '../rest-api/event.js';
import { invokeArn, matchRoute, type RouteMatch, routesOf } from '../rest-api/routes.js';

const notFound = () => new AwsError(404, '', 'Not Found');
const forbidden = () => new AwsError(403, '', 'Forbidden');
const internalError = () => new AwsError(500, '', 'Internal Server Error');

/** The route a request reaches: the most specific `<METHOD> <path>`, else `$default`. */
function routeFor(api: HttpApiModel, method: string, path: string) {
  const routes = api.routes.filter((route) => route.httpMethod !== '$default');
  const match = matchRoute(routes, method, path);
  if (match) return match;
  const fallback = api.routes.find((route) => route.httpMethod === '$default');
  return fallback && { method: fallback, pathParameters: null };
}

/** Where a request to an HTTP API lands. */
export interface HttpRoute {
  route: RouteMatch<HttpRouteModel>;
  /** The path after the stage. */
  path: string;
  /** The path as sent, stage included (payload 2.0 `rawPath`). */
  rawPath: string;
  rawQueryString: string;
  /** The ARN IAM authorizes, built as REST builds it: `<api>/<stage>/<METHOD>/<path as routed>`. */
  routeArn: string;
}

/** Routes a request as an HTTP API does: the stage, then the most specific route, else `$default`, else 404. */
export function routeHttpRequest(api: HttpApiModel, method: string, target: string): HttpRoute {
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const rawQueryString = q === -1 ? '' : target.slice(q + 1);
  const stagePrefix = api.stageName === '$default' ? '' : `/${api.stageName}`;
  if (stagePrefix && rawPath !== stagePrefix && !rawPath.startsWith(`${stagePrefix}/`))
    throw notFound().because(
      `no stage ${JSON.stringify(rawPath.split('/')[1] ?? '')} on HTTP API ${api.apiId}; its stage: ${api.stageName}`,
    );
  const path = rawPath.slice(stagePrefix.length) || '/';
  const route = routeFor(api, method, path);
  if (!route)
    throw notFound().because(
      `no route of HTTP API ${api.apiId} matches ${method} ${path}; it has ${routesOf(api.routes)}`,
    );
  const { authorizationType, authorizer } = route.method;
  if (authorizationType !== 'NONE' && authorizationType !== 'AWS_IAM' && !authorizer)
    throw new AwsError(401, '', 'Unauthorized').because(
      `the route's ${authorizationType} authorizer is not reproduced locally; it refuses every call here`,
    );
  const routeArn = invokeArn(
    `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}`,
    api.stageName,
    method,
    path,
  );
  return { route, path, rawPath, rawQueryString, routeArn };
}

/**
 * An AWS_IAM route's authorization: the caller's identity policies only (HTTP APIs have no
 * resource policy, so a caller of another account is always refused). Throws 403 Forbidden.
 */
export function authorizeHttpRequest(
  api: HttpApiModel,
  routed: HttpRoute,
  method: string,
  caller: Identity | undefined,
  facts: RequestFacts,
  decisions?: DecisionSink,
  lambda?: (authorizer: LambdaAuthorizerModel, decisions?: DecisionSink) => Promise<void>,
): void | Promise<void> {
  const { authorizationType, authorizer } = routed.route.method;
  if (authorizationType === 'CUSTOM' && authorizer) {
    if (lambda) return lambda(authorizer, decisions);
    throw new AwsError(401, '', 'Unauthorized').because(
      `the Lambda authorizer ${authorizer.name} decides each call when it is made`,
    );
  }
  if (authorizationType !== 'AWS_IAM') return;
  if (!caller) throw forbidden();
  const decision = authorize(
    {
      caller,
      action: 'execute-api:Invoke',
      resource: routed.routeArn,
      resourceAccountId: api.accountId,
      context: requestContext(facts),
      kind: 'httpApi',
      endpoint: httpEndpoint(api, routed, method),
    },
    decisions,
  );
  if (!decision.allowed) throw forbidden();
}

/**
 * Serves one request to an HTTP API as API Gateway does: stage, route (`ANY`, `{proxy+}`,
 * `$default`), AWS_IAM signature and identity-policy authorization (HTTP APIs have no
 * resource policy: a caller from another account must assume a role of the API's account),
 * Lambda permission, payload 2.0 (or 1.0) event and response mapping.
 *
 * @param target the path and query after the API's host (or the local `/httpapis/<id>` prefix).
 */
export async function handleHttpApiRequest(
  api: HttpApiModel,
  request: LocalRequest,
  target: string,
  context: ServiceContext,
): Promise<LocalResponse> {
  // The same front end as REST APIs, with the same quota on the request line and headers.
  if (headTooLarge(request)) throw headersTooLarge();
  const now = context.now?.() ?? new Date();
  const routed = routeHttpRequest(api, request.method, target);
  const { route, path, rawPath, rawQueryString } = routed;
  // No signature at all: HTTP APIs answer 403 Forbidden, not REST's "Missing Authentication Token".
  const verify = () =>
    withoutTokenAs(forbidden, () =>
      verifyHead(request, { service: 'execute-api', region: api.region, lookup: context.identities.lookup, now }),
    );
  const facts = { now, sourceIp: request.sourceIp, headers: request.headers, region: api.region, via: request.via };
  const requestId = randomUUID();
  const eventFacts = {
    api,
    request,
    path,
    rawPath,
    rawQueryString,
    pathParameters: route.pathParameters,
    requestId,
    now,
  };
  let authorizer: Record<string, unknown> | undefined;
  const lambda = askHttpAuthorizer(api, routed, request, context, {
    requestId,
    facts,
    event: (version) =>
      eventFor(
        { ...route.method, payloadFormatVersion: version },
        { ...eventFacts, body: Buffer.alloc(0), caller: undefined },
      ),
    passOn: (passed) => {
      authorizer = passed;
    },
  });
  const { caller, body } = await admit(
    request,
    {
      verify: route.method.authorizationType === 'AWS_IAM' ? verify : undefined,
      authorize: (claimed, decisions) =>
        authorizeHttpRequest(api, routed, request.method, claimed, facts, decisions, lambda),
    },
    context.decisions,
  );
  const event = eventFor(route.method, { ...eventFacts, body, caller, authorizer });
  const response = await invokeRoute(api, route.method, context, { request, body, event });
  response.headers['apigw-requestid'] = requestId;
  return response;
}

/**
 * A route's Lambda integration: the function API Gateway may invoke (its permission for the
 * route), the event within the integration's timeout, its result mapped (failed: 500).
 */
async function invokeRoute(
  api: HttpApiModel,
  route: HttpRouteModel,
  context: ServiceContext,
  { request, body, event }: { request: LocalRequest; body: Buffer; event: Record<string, unknown> },
): Promise<LocalResponse> {
  // The Lambda permission sees the route, not the request: `<api>/<stage>/ANY/{proxy+}`, `<api>/<stage>/$default`
  // (CDK grants `<api>/*/*/{proxy+}`; https://github.com/aws/serverless-application-model/issues/1860).
  const sourceArn = `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stageName}/${route.routeKey.replace(' ', '')}`;
  const integration = apiGatewayIntegration(context, route.functionArn, sourceArn, api.accountId);
  const payload = eventPayload(event, { request, body }, () => new AwsError(413, '', 'Request Entity Too Large'));
  const outcome = await invokeWithin(integration, payload, route.timeoutMs);
  if (outcome === 'timeout') throw new AwsError(503, '', 'Service Unavailable');
  // HTTP APIs have no binary media types: a base64 body marked so is always decoded.
  const map = (result: unknown) =>
    route.payloadFormatVersion === '1.0' ? toProxyResponse(result, { decodeBase64: true }) : toV2Response(result);
  return functionAnswer(outcome, map, internalError);
}

interface EventFacts {
  api: HttpApiModel;
  request: LocalRequest;
  path: string;
  rawPath: string;
  rawQueryString: string;
  pathParameters: Record<string, string> | null;
  body: Buffer;
  caller: Identity | undefined;
  requestId: string;
  now: Date;
  /** What a Lambda authorizer passed on, in the route's payload format. @default none */
  authorizer?: Record<string, unknown> | undefined;
}

function eventFor(route: HttpRouteModel, facts: EventFacts): Record<string, unknown> {
  const { api, request } = facts;
  const domainName = `${api.apiId}.execute-api.${api.region}.amazonaws.com`;
  const headers = forwardedHeaders(request.headers, {
    host: domainName,
    sourceIp: request.sourceIp,
    traceHeader: traceHeaderFor(request.headers),
  });
  if (route.payloadFormatVersion === '1.0') {
    const restLike: RestApiModel = { ...api, restApiId: api.apiId, methods: [] };
    // REST's event, with the version key HTTP APIs add (Working with AWS Lambda proxy integrations for HTTP APIs).
    return {
      version: '1.0',
      ...restProxyEvent({
        api: restLike,
        resourceId: '',
        resourcePath: route.resourcePath || '$default',
        path: facts.path,
        httpMethod: request.method,
        headers,
        query: proxyQuery(facts.rawQueryString),
        pathParameters: facts.pathParameters,
        body: facts.body,
        caller: facts.caller,
        sourceIp: request.sourceIp,
        requestId: facts.requestId,
        extendedRequestId: newExtendedRequestId(),
        now: facts.now,
        authorizer: facts.authorizer,
      }),
    };
  }
  return payloadV2Event({
    routeKey: route.routeKey,
    rawPath: facts.rawPath,
    rawQueryString: facts.rawQueryString,
    method: request.method,
    headers,
    body: facts.body,
    caller: facts.caller,
    sourceIp: request.sourceIp,
    requestId: facts.requestId,
    now: facts.now,
    accountId: api.accountId,
    apiId: api.apiId,
    domainName,
    stage: api.stageName,
    pathParameters: facts.pathParameters ?? undefined,
    authorizer: facts.authorizer,
  });
}

/** A route's call as records name it: `GET /prod/items (HTTP API abc123)`. */
const httpEndpoint = (api: HttpApiModel, routed: HttpRoute, method: string) =>
  `${method} ${api.stageName === '$default' ? '' : `/${api.stageName}`}${routed.path} (HTTP API ${api.apiId})`;

/**
 * HTTP APIs' answers for an authorizer's refusals: 401 `{"message":"Unauthorized"}`, 500
 * `{"message":"Internal Server Error"}` ("Troubleshooting HTTP API Lambda authorizers").
 */
const HTTP_REFUSALS: AuthorizerRefusals = {
  unauthorized: () => new AwsError(401, '', 'Unauthorized'),
  failed: internalError,
};

/**
 * A route's Lambda authorizer asked about one request ("Control access to HTTP APIs with AWS
 * Lambda authorizers"): its identity sources (header names in any case, query names exact,
 * values of repeated ones joined by commas), the payload 1.0 or 2.0 event, a simple answer or
 * an IAM policy on the route ARN (403 Forbidden unless it allows); what it passes on goes to
 * the integration as `requestContext.authorizer` (`{lambda: context}` on payload 2.0).
 */
function askHttpAuthorizer(
  api: HttpApiModel,
  routed: HttpRoute,
  request: LocalRequest,
  context: ServiceContext,
  asked: {
    requestId: string;
    facts: RequestFacts;
    event: (version: string) => Record<string, unknown>;
    passOn: (authorizer: Record<string, unknown>) => void;
  },
) {
  // `$context` values an identity source may name (`$context.routeKey`, `$context.identity.sourceIp`…).
  const contextValues: Record<string, string> = {
    accountId: api.accountId,
    apiId: api.apiId,
    domainName: `${api.apiId}.execute-api.${api.region}.amazonaws.com`,
    httpMethod: request.method,
    path: routed.rawPath,
    requestId: asked.requestId,
    routeKey: routed.route.method.routeKey,
    stage: api.stageName,
    'identity.sourceIp': request.sourceIp,
  };
  return async (authorizer: LambdaAuthorizerModel, decisions?: DecisionSink): Promise<void> => {
    const started = Date.now();
    const headers = asked.facts.headers ?? [];
    const query = [...new URLSearchParams(routed.rawQueryString)];
    const identity = identityValues(authorizer.identitySources, (place, name) => {
      const values =
        place === 'header'
          ? headers.filter(([key]) => key.toLowerCase() === name.toLowerCase()).map(([, value]) => value)
          : place === 'querystring'
            ? query.filter(([key]) => key === name).map(([, value]) => value)
            : place === 'context' && contextValues[name] !== undefined
              ? [contextValues[name]]
              : [];
      return values.length === 0 ? undefined : values.join(',');
    });
    const version = authorizer.payloadFormatVersion ?? '2.0';
    const answer = await askAuthorizer(
      context,
      {
        authorizer,
        apiArn: routed.routeArn.split('/')[0] ?? '',
        apiAccountId: routed.routeArn.split(':')[4] ?? '',
        identity,
        event: () => {
          const { body: _body, isBase64Encoded: _base64, ...event } = asked.event(version);
          const values = identity ?? [];
          return version === '1.0'
            ? {
                version: '1.0',
                type: 'REQUEST',
                methodArn: routed.routeArn,
                identitySource: values.join(','),
                authorizationToken: values.join(','),
                ...event,
              }
            : { ...event, type: 'REQUEST', routeArn: routed.routeArn, identitySource: values };
        },
        timeoutMs: 10_000,
      },
      HTTP_REFUSALS,
    );
    const decision = authorize(
      {
        caller: answer.caller,
        action: 'execute-api:Invoke',
        resource: routed.routeArn,
        resourceAccountId: routed.routeArn.split(':')[4] ?? '',
        context: requestContext(asked.facts),
        kind: 'httpApi',
        endpoint: httpEndpoint(api, routed, request.method),
      },
      decisions,
    );
    if (!decision.allowed) throw forbidden();
    const latency = Date.now() - started;
    asked.passOn(
      routed.route.method.payloadFormatVersion === '1.0'
        ? { ...answer.context, principalId: answer.principalId ?? '', integrationLatency: latency }
        : { lambda: answer.context },
    );
  };
}
