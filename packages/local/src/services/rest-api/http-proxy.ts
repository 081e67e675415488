import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CloudAssemblyModel, MethodModel } from '../../assembly/model.js';
import { AwsError, GATEWAY_MESSAGE } from '../../aws-error.js';
import { awsHostOf } from '../../aws-hosts.js';
import type { LocalRequest, LocalResponse } from '../../http.js';
import { forwardedHeaders } from '../integration.js';

// A REST method's HTTP_PROXY integration ("Set up HTTP proxy integrations in API Gateway":
// https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html): the
// whole request passes to the integration's URL, its path parameters filled in, and the
// backend's answer comes back as it is, but for the headers API Gateway keeps for itself. An
// AWS host the local stack answers is answered by it; a loopback or private address is called;
// nothing leaves for the internet (a line at start names such methods).

/** Hosts a backend may have here: loopback, private addresses, single labels, `*.internal`, `*.local`. */
const LOCAL_HOST =
  /^(?:[^.]+|localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+|.*\.internal|.*\.local)$/i;

/** Request headers API Gateway does not pass to an HTTP backend ("Amazon API Gateway important notes"). */
const DROPPED = new Set([
  'content-md5',
  'expect',
  'max-forwards',
  'proxy-authenticate',
  'server',
  'via',
  'www-authenticate',
]);
/** The backend's headers API Gateway keeps for itself: they come back as `x-amzn-Remapped-<name>`. */
const REMAPPED = new Set(['connection', 'content-length', 'date', 'server', 'x-amzn-requestid']);
const NOT_RETURNED = new Set(['transfer-encoding', 'content-encoding', 'via', 'keep-alive']);

/** Why a method's HTTP_PROXY URL is not called locally (the line at start), or undefined when it is. */
export function unreachableBackend(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return `its HTTP_PROXY integration's URL ${JSON.stringify(url)} is not a URL; calls answer 500 Internal server error`;
  }
  if (awsHostOf(host) || LOCAL_HOST.test(host)) return undefined;
  return `its HTTP_PROXY integration calls ${new URL(url).origin}, outside this machine: not called locally, so calls answer 500 Internal server error as for an unreachable backend`;
}

/** One line per HTTP_PROXY method whose backend is not called locally. */
export function httpProxyWarnings(model: CloudAssemblyModel): string[] {
  return model.apis.flatMap((api) =>
    api.methods
      .filter((method) => method.integrationType === 'HTTP_PROXY')
      .flatMap((method) => {
        const problem = unreachableBackend(method.httpUrl ?? '');
        return problem
          ? [`${api.stackName} ${api.logicalId} ${method.httpMethod} ${method.resourcePath}: ${problem}`]
          : [];
      }),
  );
}

const internalError = (why: string) =>
  new AwsError(500, 'InternalServerErrorException', 'Internal server error', GATEWAY_MESSAGE).because(why);

/** The integration's URL for this request: `{name}` and `{proxy}` (greedy) filled from the path, the query appended. */
function backendUrl(template: string, pathParameters: Record<string, string> | null, rawQuery: string): URL {
  const filled = template.replace(/\{([^}+]+)\+?\}/g, (whole, name: string) => pathParameters?.[name] ?? whole);
  const url = new URL(filled);
  if (rawQuery) url.search = url.search ? `${url.search}&${rawQuery}` : `?${rawQuery}`;
  return url;
}

/**
 * The backend's answer to the request, passed through: its status, body and headers (but those
 * API Gateway remaps); 504 past the method's timeout, 500 when the backend cannot be reached.
 */
export async function httpProxyAnswer(
  method: MethodModel,
  call: { request: LocalRequest; body: Buffer; pathParameters: Record<string, string> | null; rawQuery: string },
  gateway: { apiId: string; traceHeader: string; origin: string | undefined; where: string },
): Promise<LocalResponse> {
  const template = method.httpUrl ?? '';
  const problem = unreachableBackend(template);
  if (problem) throw internalError(`${gateway.where}: ${problem}`);
  const url = backendUrl(template, call.pathParameters, call.rawQuery);
  // An AWS host this stack answers: sent to the stack, which answers by its Host, as a function's call is.
  const served = awsHostOf(url.hostname) !== undefined && gateway.origin !== undefined;
  const target = served ? new URL(`${url.pathname}${url.search}`, gateway.origin) : url;
  const sigV4 = /^\s*AWS4-/i;
  const headers = forwardedHeaders(
    call.request.headers.filter(([name, value]) => !(name.toLowerCase() === 'authorization' && sigV4.test(value))),
    { host: url.host, sourceIp: call.request.sourceIp, traceHeader: gateway.traceHeader, drops: DROPPED },
  );
  headers.push(['x-amzn-apigateway-api-id', gateway.apiId]);
  if (call.body.length > 0) headers.push(['Content-Length', String(call.body.length)]);
  return new Promise<LocalResponse>((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(
      target,
      { method: call.request.method, headers: headers.flat(), timeout: method.timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) =>
          reject(internalError(`${gateway.where}: ${url.origin} failed: ${error.message}`)),
        );
        response.on('end', () => resolve(passedBack(response.statusCode ?? 502, response.headersDistinct, chunks)));
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy();
      reject(
        new AwsError(504, '', 'Endpoint request timed out', GATEWAY_MESSAGE).because(
          `${gateway.where}: ${url.origin} did not answer within ${method.timeoutMs} ms`,
        ),
      );
    });
    outgoing.on('error', (error) =>
      reject(internalError(`${gateway.where}: ${url.origin} unreachable: ${error.message}`)),
    );
    outgoing.end(call.body);
  });
}

/** The backend's answer as API Gateway returns it: headers it keeps for itself remapped, hop-by-hop ones dropped. */
function passedBack(status: number, headers: Record<string, string[] | undefined>, chunks: Buffer[]): LocalResponse {
  const out: Record<string, string | string[]> = {};
  for (const [name, values = []] of Object.entries(headers)) {
    if (NOT_RETURNED.has(name)) continue;
    const key = REMAPPED.has(name) ? `x-amzn-Remapped-${name}` : name;
    out[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  // "API Gateway includes a Content-Type header for all integration responses": application/json by default.
  out['content-type'] ??= 'application/json';
  return { status, headers: out, body: Buffer.concat(chunks) };
}
