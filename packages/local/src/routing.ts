import type { CloudAssemblyModel } from './assembly/model.js';
import { AwsError, type ErrorShape, missingAuthenticationToken } from './aws-error.js';
import type { LocalRequest, LocalResponse } from './http.js';
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
/** AWS host names of resources: `<id>.execute-api.<region>.amazonaws.com`, `<id>.lambda-url.<region>.on.aws`, and `sts.…`. */
const HOSTED = /^(?:([a-z0-9]+)\.(execute-api|lambda-url)\.(?:([a-z0-9-]+)\.)?|(sts)\.)/;
/** AWS host names of services: `sts.amazonaws.com`, `sts.<region>.amazonaws.com`, `lambda.<region>.amazonaws.com`. */
const SERVICE_HOST = /^(sts|lambda)\.(?:([a-z0-9-]+)\.)?amazonaws\.com(?::\d+)?$/;
/** The region that signs for STS's global endpoint, `sts.amazonaws.com` (IAM: "Managing AWS STS in an AWS Region"). */
const STS_GLOBAL_REGION = 'us-east-1';
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
}

const apiIdOf = (api: { restApiId: string } | { apiId: string }) => ('restApiId' in api ? api.restApiId : api.apiId);
const rooted = (target: string) => (target.startsWith('/') ? target : `/${target}`);
const headerOf = (request: LocalRequest, wanted: string) =>
  request.headers.find(([name]) => name.toLowerCase() === wanted)?.[1];

/**
 * What a request's Host header, else its path's local prefix, says it is for. The AWS host names
 * are those a function's runner connects here (runner.mjs names the same).
 */
function targetOf(request: LocalRequest): Target {
  const host = headerOf(request, 'host')?.toLowerCase() ?? '';
  const path = rooted(request.target);
  const service = SERVICE_HOST.exec(host);
  if (service) {
    const global = service[1] === 'sts' && service[2] === undefined;
    return { kind: service[1], id: undefined, region: global ? STS_GLOBAL_REGION : service[2], path, host };
  }
  const hosted = HOSTED.exec(host);
  if (hosted) return { kind: hosted[4] ?? hosted[2], id: hosted[1], region: hosted[3], path, host };
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
  const { kind } = target;
  const service = SCOPE_SERVICE.exec(headerOf(request, 'authorization') ?? request.target)?.[1];
  if (kind === 'sts' || (!kind && service === 'sts' && request.target.split('?')[0] === '/'))
    return stsDoor(request, routing, target.region ?? routing.model.region);
  if (kind === 'lambda-url') return functionUrlDoor(request, target, routing);
  if (kind === 'lambda') return lambdaApiDoor(request, routing, target.region ?? routing.model.region);
  if (kind === 'execute-api' || kind === 'httpapis') {
    const door = apiDoor(request, target, routing);
    if (door) return door;
  }
  const invoke = kind ? null : INVOKE_PATH.exec(request.target.split('?')[0] ?? '');
  if (invoke && request.method === 'POST') return invokeDoor(request, percentDecode(invoke[1] ?? ''), routing);
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
function functionUrlDoor(request: LocalRequest, { id, region, path }: Target, { model, context }: Routing): Door {
  const url = model.functionUrls.find((candidate) => candidate.urlId === id);
  const name = url && model.functions.find((fn) => fn.arn === url.functionArn)?.name;
  const pathOnly = pathOnlyOf(path);
  return {
    kind: 'functionUrl',
    endpoint: `${request.method} ${name ?? id} function URL${pathOnly === '/' ? '' : ` ${pathOnly}`}`,
    // No such URL (in that region): AWS has no host of that name; answered as a denial, which says no as surely.
    serve: async () => {
      if (!url) throw functionUrlForbidden().because(`no function URL ${id} in this app`);
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
  { kind, id, region, path, host }: Target,
  { model, context }: Routing,
): Door | undefined {
  const pathOnly = pathOnlyOf(path);
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

/** The Invoke API in a region (the app's unless a host names one). */
function invokeDoor(request: LocalRequest, name: string, { model, context }: Routing, region = model.region): Door {
  return {
    kind: 'invoke',
    endpoint: `Invoke ${name}`,
    serve: () => handleInvoke(request, name, { ...context, region }),
  };
}

/**
 * The Lambda API at `lambda.<region>.amazonaws.com`: Invoke, on that region's functions only (a
 * function of another region is not found there, as on AWS); any other operation is unknown here.
 */
function lambdaApiDoor(request: LocalRequest, routing: Routing, region: string): Door {
  const invoke = INVOKE_PATH.exec(request.target.split('?')[0] ?? '');
  if (invoke && request.method === 'POST') {
    const runtimes = new Map([...routing.context.runtimes].filter(([, runtime]) => runtime.fn.region === region));
    const regional = { ...routing, context: { ...routing.context, runtimes } };
    return invokeDoor(request, percentDecode(invoke[1] ?? ''), regional, region);
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
  const door = doorOf(request, { ...routing, context: { ...routing.context, decisions } });
  try {
    return await door.serve();
  } catch (error) {
    if (sink && !recorded && error instanceof AwsError) sink(refusalRecord(request, door, error, routing));
    throw error;
  }
}

/** The record of a refusal before (or without) an authorization: who claimed to call, what AWS answered, and why. */
function refusalRecord(request: LocalRequest, door: Door, error: AwsError, routing: Routing): DecisionRecord {
  const authorization = request.headers.find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const keyId = CREDENTIAL_KEY.exec(authorization ?? request.target)?.[1];
  const claimed = keyId ? routing.context.identities.all().find((i) => i.credentials.accessKeyId === keyId) : undefined;
  const who = !authorization && !keyId ? 'anonymous' : (claimed?.name ?? 'unknown caller');
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
    reason: `${error.why ?? firstLine} (answered ${answer}${error.why ? `: ${firstLine}` : ''})`,
    policies: [],
    context: {},
  };
}
