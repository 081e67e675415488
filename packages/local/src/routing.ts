import type { CloudAssemblyModel } from './assembly/model.js';
import { AwsError, missingAuthenticationToken } from './aws-error.js';
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
/** AWS host names: `<id>.execute-api.<region>.amazonaws.com`, `<id>.lambda-url.<region>.on.aws`, `sts[.<region>].amazonaws.com`. */
const HOSTED = /^(?:([a-z0-9]+)\.(execute-api|lambda-url)\.(?:([a-z0-9-]+)\.)?|(sts)\.)/;
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

const apiIdOf = (api: { restApiId: string } | { apiId: string }) => ('restApiId' in api ? api.restApiId : api.apiId);

/**
 * Which service answers a request: by AWS host name (`<id>.execute-api.…`, `<id>.lambda-url.…`,
 * `sts.…`), by the local path forms (`/restapis/<id>`, `/httpapis/<id>`, `/lambda-url/<id>`), by
 * the Invoke API's path, by an STS signature's scope on `/`, else the first REST API.
 */
function doorOf(request: LocalRequest, { model, context, register }: Routing): Door {
  const host = request.headers.find(([name]) => name.toLowerCase() === 'host')?.[1]?.toLowerCase() ?? '';
  const hosted = HOSTED.exec(host);
  const prefixed = hosted ? undefined : PREFIXED.exec(request.target);
  const [kind, id, target] = hosted
    ? [hosted[4] ?? hosted[2], hosted[1], request.target]
    : prefixed
      ? [prefixed[1], prefixed[2], prefixed[3] ?? '/']
      : [undefined, undefined, request.target];
  const path = target.startsWith('/') ? target : `/${target}`;
  const pathOnly = path.split('?')[0] ?? '/';
  const authorization = request.headers.find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const service = SCOPE_SERVICE.exec(authorization ?? request.target)?.[1];
  if (kind === 'sts' || (!kind && service === 'sts' && request.target.split('?')[0] === '/'))
    return {
      kind: 'sts',
      endpoint: 'STS',
      serve: () => handleSts(request, { ...context, model, register }),
    };
  if (kind === 'lambda-url') {
    const url = model.functionUrls.find((candidate) => candidate.urlId === id);
    const name = url && model.functions.find((fn) => fn.arn === url.functionArn)?.name;
    return {
      kind: 'functionUrl',
      endpoint: `${request.method} ${name ?? id} function URL${pathOnly === '/' ? '' : ` ${pathOnly}`}`,
      // No such URL: AWS has no host of that name; answered as a denial, which says no as surely.
      serve: async () => {
        if (!url) throw functionUrlForbidden().because(`no function URL ${id} in this app`);
        return handleFunctionUrlRequest(url, request, path, context);
      },
    };
  }
  // A host names its region: an API of this app is not at another region's host (AWS: no such API there).
  const hostRegion = hosted?.[3];
  const elsewhere = (api: { region: string }) => hostRegion !== undefined && api.region !== hostRegion;
  if (
    kind === 'execute-api' &&
    ![...model.apis, ...model.httpApis].some((api) => apiIdOf(api) === id && !elsewhere(api))
  )
    return {
      kind: 'rest',
      endpoint: `${request.method} ${pathOnly} (${host})`,
      serve: async () => {
        const known = [...model.apis, ...model.httpApis].find((api) => apiIdOf(api) === id);
        throw new AwsError(403, 'ForbiddenException', 'Forbidden').because(
          known ? `API ${id} is in ${known.region}, not ${hostRegion}` : `no API ${id} in this app`,
        );
      },
    };
  if (kind === 'execute-api' || kind === 'httpapis') {
    const httpApi = model.httpApis.find((candidate) => candidate.apiId === id);
    const endpoint = `${request.method} ${pathOnly} (HTTP API ${id})`;
    if (httpApi)
      return { kind: 'httpApi', endpoint, serve: () => handleHttpApiRequest(httpApi, request, path, context) };
    if (kind === 'httpapis')
      return {
        kind: 'httpApi',
        endpoint,
        serve: async () => {
          throw new AwsError(404, '', 'Not Found').because(`no HTTP API ${id} in this app`);
        },
      };
  }
  const invoke = kind ? null : INVOKE_PATH.exec(request.target.split('?')[0] ?? '');
  if (invoke && request.method === 'POST') {
    const name = percentDecode(invoke[1] ?? '');
    return {
      kind: 'invoke',
      endpoint: `Invoke ${name}`,
      serve: () => handleInvoke(request, name, { ...context, region: model.region }),
    };
  }
  const api = kind ? model.apis.find((candidate) => candidate.restApiId === id) : model.apis[0];
  return {
    kind: 'rest',
    endpoint: `${request.method} ${pathOnly}${kind ? ` (REST API ${id})` : ''}`,
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
