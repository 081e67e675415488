import type { CloudAssemblyModel } from './assembly/model.js';
import { AwsError, type ErrorShape, missingAuthenticationToken } from './aws-error.js';
import { awsHostOf } from './aws-hosts.js';
import { headerOf, type LocalRequest, type LocalResponse } from './http.js';
import type { DecisionKind, DecisionRecord, DecisionSink } from './iam/decisions.js';
import type { Identity } from './iam/identities.js';
import type { ServiceContext } from './services/context.js';
import { functionUrlForbidden, handleFunctionUrlRequest } from './services/function-url/handler.js';
import { handleHttpApiRequest } from './services/http-api/handler.js';
import { handleInvoke } from './services/lambda-api/invoke-api.js';
import { handleRestApiRequest } from './services/rest-api/handler.js';
import { handleSts } from './services/sts/handler.js';
import { percentDecode } from './sigv4/canonical.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** Local path forms of what AWS tells apart by host name: `/restapis/<id>/…`, `/httpapis/<id>/…`, `/lambda-url/<id>/…`. */
const PREFIXED = /^\/(restapis|httpapis|lambda-url)\/([a-z0-9]+)(\/.*|\?.*)?$/;
/** The Lambda API's answer to a request that names none of its operations: `<UnknownOperationException/>`. */
const UNKNOWN_OPERATION: ErrorShape = { body: (type) => `<${type}/>`, contentType: 'application/xml' };
/** The service of a SigV4 credential scope, in the Authorization header or a presigned query. */
const SCOPE_SERVICE =
  /Credential=[^/,&\s]+(?:\/|%2F)\d{8}(?:\/|%2F)[^/,&\s%]+(?:\/|%2F)([a-z0-9-]+)(?:\/|%2F)aws4_request/i;
/** The access key id of a SigV4 credential, in the Authorization header or a presigned query. */
const CREDENTIAL_KEY = /Credential=([A-Z0-9]{4,128})(?:\/|%2F)/;

/** What routing needs: the app, the services' context, and where the sessions STS issues go. */
export interface Routing {
  model: CloudAssemblyModel;
  context: ServiceContext;
  register: (session: Identity) => Identity;
}

/** The door a request goes through, as a person reads it, and the service that answers it. */
interface Door {
  kind: DecisionKind;
  endpoint: string;
  serve: () => Promise<LocalResponse>;
}

/** Where a request goes: the service (`execute-api`, `lambda-url`, `sts`, `lambda`, or a local prefix), the id and region its host names. */
interface Target {
  kind: string | undefined;
  id: string | undefined;
  /** The region of its AWS host name; undefined for the local forms. */
  region: string | undefined;
  /** Its path and query, the local prefix taken off. */
  path: string;
  /** Its host name, lower case. */
  host: string;
  /** Why AWS has nothing at its host, which is one of AWS's all the same (a private API's): answered 403 as AWS does. */
  refusal?: string;
  /** The VPC endpoint a private API's host names (`<api id>-<vpce id>.execute-api.…`). */
  vpce?: string | undefined;
}

const apiIdOf = (api: { restApiId: string } | { apiId: string }) => ('restApiId' in api ? api.restApiId : api.apiId);
const rooted = (target: string) => (target.startsWith('/') ? target : `/${target}`);

/**
 * What a request's Host header, else its path's local prefix, says it is for. The AWS host names
 * are those a function's runner connects here (runner.mjs names the same).
 */
function targetOf(request: LocalRequest): Target {
  const host = headerOf(request.headers, 'host')?.toLowerCase() ?? '';
  const path = rooted(request.target);
  const aws = awsHostOf(host);
  if (aws)
    return { kind: aws.service, id: aws.id, region: aws.region, path, host, refusal: aws.refusal, vpce: aws.vpce };
  const prefixed = PREFIXED.exec(request.target);
  if (!prefixed) return { kind: undefined, id: undefined, region: undefined, path, host };
  return { kind: prefixed[1], id: prefixed[2], region: undefined, path: rooted(prefixed[3] ?? '/'), host };
}

/**
 * Which service answers a request: by AWS host name (`<id>.execute-api.…`, `<id>.lambda-url.…`,
 * `lambda.…`, `sts.…`), by the local path forms (`/restapis/<id>`, `/httpapis/<id>`,
 * `/lambda-url/<id>`), by the Invoke API's path, by an STS signature's scope on `/`, else the
 * first REST API.
 */
function doorOf(request: LocalRequest, routing: Routing): Door {
  const target = targetOf(request);
  if (request.via) return endpointDoor(request, target, routing);
  const { kind } = target;
  const service = SCOPE_SERVICE.exec(headerOf(request.headers, 'authorization') ?? request.target)?.[1];
  if (kind === 'sts' || (!kind && service === 'sts' && request.target.split('?')[0] === '/'))
    return stsDoor(request, routing, target.region ?? routing.model.region);
  if (kind === 'lambda-url') return functionUrlDoor(request, target, routing);
  if (kind === 'lambda') return lambdaApiDoor(request, routing, target.region ?? routing.model.region);
  if (kind === 'execute-api' || kind === 'httpapis') {
    const door = apiDoor(request, target, routing);
    if (door) return door;
  }
  const invoke = kind ? null : INVOKE_PATH.exec(request.target.split('?')[0] ?? '');
  if (invoke && request.method === 'POST') return invokeDoor(request, functionNameOf(invoke[1] ?? ''), routing);
  return restApiDoor(request, target, routing);
}

/** STS, in the region its host names (`sts.amazonaws.com`: us-east-1), else the app's. */
function stsDoor(request: LocalRequest, { model, context, register }: Routing, region: string): Door {
  // A regional endpoint signs for its region, the global one for us-east-1: STS verifies that region.
  const regional = region === model.region ? model : { ...model, region };
  return { kind: 'sts', endpoint: 'STS', serve: () => handleSts(request, { ...context, model: regional, register }) };
}

const pathOnlyOf = (path: string) => path.split('?')[0] ?? '/';

/** A function URL by its id, in the region its host names. */
function functionUrlDoor(
  request: LocalRequest,
  { id, region, path, refusal }: Target,
  { model, context }: Routing,
): Door {
  const url = model.functionUrls.find((candidate) => candidate.urlId === id);
  const name = url && model.functions.find((fn) => fn.arn === url.functionArn)?.name;
  const pathOnly = pathOnlyOf(path);
  return {
    kind: 'functionUrl',
    endpoint: `${request.method} ${name ?? id} function URL${pathOnly === '/' ? '' : ` ${pathOnly}`}`,
    // No such URL (in that region): AWS has no host of that name; answered as a denial, which says no as surely.
    serve: async () => {
      if (!url) throw functionUrlForbidden().because(refusal ?? `no function URL ${id} in this app`);
      if (region !== undefined && url.region !== region)
        throw functionUrlForbidden().because(`function URL ${id} is in ${url.region}, not ${region}`);
      return handleFunctionUrlRequest(url, request, path, context);
    },
  };
}

/**
 * An API by its AWS host name or `/httpapis/<id>`: one of another region or that the app does not
 * have is refused as AWS refuses a host it has no API for; undefined for a REST API of the app.
 */
function apiDoor(
  request: LocalRequest,
  { kind, id, region, path, host, refusal }: Target,
  { model, context }: Routing,
): Door | undefined {
  const pathOnly = pathOnlyOf(path);
  // An AWS host of API Gateway where AWS serves no API of this app (a private API's): refused as AWS refuses it.
  if (kind === 'execute-api' && refusal !== undefined)
    return {
      kind: 'rest',
      endpoint: `${request.method} ${pathOnly} (${host})`,
      serve: async () => {
        throw new AwsError(403, 'ForbiddenException', 'Forbidden').because(refusal);
      },
    };
  // A host names its region: an API of this app is not at another region's host (AWS: no such API there).
  const elsewhere = (api: { region: string }) => region !== undefined && api.region !== region;
  const apis = [...model.apis, ...model.httpApis];
  if (kind === 'execute-api' && !apis.some((api) => apiIdOf(api) === id && !elsewhere(api)))
    return {
      kind: 'rest',
      endpoint: `${request.method} ${pathOnly} (${host})`,
      serve: async () => {
        const known = apis.find((api) => apiIdOf(api) === id);
        throw new AwsError(403, 'ForbiddenException', 'Forbidden').because(
          known ? `API ${id} is in ${known.region}, not ${region}` : `no API ${id} in this app`,
        );
      },
    };
  const httpApi = model.httpApis.find((candidate) => candidate.apiId === id);
  const endpoint = `${request.method} ${pathOnly} (HTTP API ${id})`;
  if (httpApi)
    return {
      kind: 'httpApi',
      endpoint,
      serve: () => handleHttpApiRequest(httpApi, request, path, context),
    };
  if (kind !== 'httpapis') return undefined;
  return {
    kind: 'httpApi',
    endpoint,
    serve: async () => {
      throw new AwsError(404, '', 'Not Found').because(`no HTTP API ${id} in this app`);
    },
  };
}

/**
 * The function name of an Invoke path, percent-decoded; one that does not decode is kept as sent,
 * a name Lambda's validation refuses (its `%` is in no function name): 400 ValidationException,
 * once the signature holds, as for any other bad name, never API Gateway's BadRequestException.
 */
function functionNameOf(encoded: string): string {
  try {
    return percentDecode(encoded);
  } catch {
    return encoded;
  }
}

/** The Invoke API in a region (the app's unless a host names one). */
function invokeDoor(request: LocalRequest, name: string, { model, context }: Routing, region = model.region): Door {
  return {
    kind: 'invoke',
    endpoint: `Invoke ${name}`,
    serve: () => handleInvoke(request, name, { ...context, region }),
  };
}

/**
 * The Lambda API at `lambda.<region>.amazonaws.com` (or its FIPS and dual-stack hosts): Invoke,
 * on that region's functions only (a function of another region is not found there, as on AWS);
 * any other operation is unknown here.
 */
function lambdaApiDoor(request: LocalRequest, routing: Routing, region: string): Door {
  const invoke = INVOKE_PATH.exec(request.target.split('?')[0] ?? '');
  if (invoke && request.method === 'POST') {
    const runtimes = new Map([...routing.context.runtimes].filter(([, runtime]) => runtime.fn.region === region));
    const regional = { ...routing, context: { ...routing.context, runtimes } };
    return invokeDoor(request, functionNameOf(invoke[1] ?? ''), regional, region);
  }
  return {
    kind: 'invoke',
    endpoint: `${request.method} ${pathOnlyOf(request.target)} (Lambda API, ${region})`,
    serve: async () => {
      throw new AwsError(404, 'UnknownOperationException', 'UnknownOperationException', UNKNOWN_OPERATION).because(
        'the local stack serves the Lambda API’s Invoke operation only',
      );
    },
  };
}

/**
 * A request through an interface VPC endpoint reaches its service only: an execute-api
 * endpoint private APIs, an STS endpoint STS, a Lambda endpoint the Lambda API, in the
 * endpoint's region (PrivateLink: an endpoint connects to one service).
 */
function endpointDoor(request: LocalRequest, target: Target, routing: Routing): Door {
  const via = request.via?.endpoint;
  if (via?.service === 'execute-api') return privateApiDoor(request, target, routing);
  const region = via?.region ?? routing.model.region;
  if (via?.service === 'sts') return stsDoor(request, routing, region);
  return lambdaApiDoor(request, routing, region);
}

/**
 * A request through an execute-api VPC endpoint: to the private API its host names (private DNS
 * `<api id>.execute-api.…`, the alias `<api id>-<vpce id>.execute-api.…`), else its
 * `x-apigw-api-id` header (with the endpoint's own host name), else the local `/restapis/<id>`
 * form, else the app's first private API (API Gateway: "Invoke a private API").
 */
function privateApiDoor(request: LocalRequest, target: Target, { model, context }: Routing): Door {
  const via = request.via?.endpoint;
  const named = target.kind === 'execute-api' || target.kind === 'restapis' ? target.id : undefined;
  // The local form alone (no AWS host) falls back to the first private API; an AWS host must name one.
  const id =
    named ??
    headerOf(request.headers, 'x-apigw-api-id')?.trim().toLowerCase() ??
    (target.kind === undefined
      ? model.apis.find((api) => api.endpointType === 'PRIVATE' && api.region === via?.region)?.restApiId
      : undefined);
  const api = model.apis.find((candidate) => candidate.restApiId === id);
  const path = target.kind === 'restapis' ? target.path : rooted(request.target);
  return {
    kind: 'rest',
    endpoint: `${request.method} ${pathOnlyOf(path)} (REST API ${id ?? '?'} through ${via?.id})`,
    serve: async () => {
      const forbidden = () => new AwsError(403, 'ForbiddenException', 'Forbidden');
      if (!id) throw forbidden().because(`${target.host} names no API, and no x-apigw-api-id header does`);
      if (!api || api.region !== via?.region)
        throw forbidden().because(`no REST API ${id} in ${via?.region} in this app`);
      // The alias `<api id>-<vpce id>` exists for the endpoints associated with the API only (Route 53 alias records).
      if (target.vpce && (target.vpce !== via?.id || !api.vpcEndpointIds?.includes(target.vpce)))
        throw forbidden().because(
          `${target.host} is not an alias of API ${id}: its endpoint configuration associates ${api.vpcEndpointIds?.join(', ') || 'no VPC endpoint'}`,
        );
      return handleRestApiRequest(api, request, path, context);
    },
  };
}

/** A REST API by its id, else the app's first (the local form without prefix). */
function restApiDoor(request: LocalRequest, { kind, id, path }: Target, { model, context }: Routing): Door {
  const api = kind ? model.apis.find((candidate) => candidate.restApiId === id) : model.apis[0];
  return {
    kind: 'rest',
    endpoint: `${request.method} ${pathOnlyOf(path)}${kind ? ` (REST API ${id})` : ''}`,
    serve: async () => {
      if (!api)
        throw missingAuthenticationToken().because(
          id ? `no REST API ${id} in this app` : 'this app has no REST API to answer a path without an API prefix',
        );
      return handleRestApiRequest(api, request, path, context);
    },
  };
}

/**
 * Answers a request through the service it is for. A refusal the authorization did not record
 * (an unsigned request, a wrong region or stage, a bad signature…) becomes a decision record of
 * its own, with the reason AWS does not tell: every refusal explains itself on stderr.
 */
export async function route(request: LocalRequest, routing: Routing): Promise<LocalResponse> {
  const sink = routing.context.decisions;
  let recorded = false;
  const decisions: DecisionSink | undefined =
    sink &&
    ((record) => {
      recorded ||= !record.allowed;
      sink(record);
    });
  // Chosen inside the try: a refusal while choosing the door is recorded as any other.
  let door: Door | undefined;
  try {
    door = doorOf(request, { ...routing, context: { ...routing.context, decisions } });
    return await door.serve();
  } catch (error) {
    if (sink && !recorded && error instanceof AwsError) {
      const record = refusalRecord(request, door ?? undecidedDoor(request), error, routing);
      // A 5xx is a failure (a function error, a timeout, a misconfiguration), not a refusal.
      sink(error.status >= 500 ? { ...record, failed: true } : record);
    }
    throw error;
  }
}

/** Where a request refused before its door was chosen went, for its record: its method, path and host. */
function undecidedDoor(request: LocalRequest): Pick<Door, 'kind' | 'endpoint'> {
  const host = headerOf(request.headers, 'host');
  return {
    kind: 'rest',
    endpoint: `${request.method} ${pathOnlyOf(rooted(request.target))}${host ? ` (${host})` : ''}`,
  };
}

/** The record of a request refused before it could be read (a head too large, not HTTP): nothing of it is known. */
export const unreadRecord = (why: string): DecisionRecord => ({
  time: new Date().toISOString(),
  allowed: false,
  kind: 'rest',
  principal: 'unknown caller',
  caller: 'unknown caller',
  action: '',
  resource: '',
  endpoint: 'a request no service read',
  reason: why,
  policies: [],
  context: {},
});

/** The record of a refusal before (or without) an authorization: who claimed to call, what AWS answered, and why. */
function refusalRecord(
  request: LocalRequest,
  door: Pick<Door, 'kind' | 'endpoint'>,
  error: AwsError,
  routing: Routing,
): DecisionRecord {
  const authorization = headerOf(request.headers, 'authorization');
  const keyId = CREDENTIAL_KEY.exec(authorization ?? request.target)?.[1];
  const claimed = keyId ? routing.context.identities.owner(keyId) : undefined;
  // A token that is no SigV4 signature (a Lambda authorizer's) is anonymous to IAM.
  const who = !keyId && !/^\s*AWS4-/i.test(authorization ?? '') ? 'anonymous' : (claimed?.name ?? 'unknown caller');
  const answer = `${error.status}${error.type ? ` ${error.type}` : ''}`;
  const firstLine = error.message.split('\n')[0] ?? '';
  return {
    time: new Date().toISOString(),
    allowed: false,
    kind: door.kind,
    principal: who,
    caller: claimed?.principal.arn ?? who,
    action: '',
    resource: '',
    endpoint: door.endpoint,
    reason: `${error.why ?? firstLine} (answered ${answer}${error.why && firstLine ? `: ${firstLine}` : ''})`,
    policies: [],
    context: {},
  };
}
