import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { CloudAssemblyModel, MethodModel } from '../../assembly/model.js';
import { AwsError, GATEWAY_MESSAGE, integrationError } from '../../aws-error.js';
import { awsHostOf } from '../../aws-hosts.js';
import { headerOf, type LocalRequest, type LocalResponse } from '../../http.js';
import { forwardedHeaders } from '../integration.js';
import { integrationAnswer, renderTemplate, type TemplateValues } from './mock.js';

// A REST method's HTTP_PROXY and HTTP integrations ("Set up HTTP proxy integrations in API Gateway":
// https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html): the
// whole request passes to the integration's URL, its path parameters filled in, and the
// backend's answer comes back as it is, but for the headers API Gateway keeps for itself. An
// AWS host the local stack answers is answered by it; a loopback or private address is called;
// nothing leaves for the internet (a line at start names such methods).

/**
 * A backend on this machine or its network: `localhost` (and `*.localhost`), `*.internal`,
 * `*.local`, loopback and private IPv4 and IPv6 addresses (IPv4-mapped ones too). Any other
 * host is the internet, which the local stack never calls.
 */
export function onThisNetwork(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const privateV4 = (address: string) =>
    /^(?:127\.|10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|100\.(?:6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/.test(address);
  if (isIP(host) === 4) return privateV4(host);
  if (isIP(host) === 6) {
    // Node writes a mapped address in hex (`::ffff:7f00:1`); either form is read.
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
    const mapped =
      dotted ??
      (hex
        ? [Number.parseInt(hex[1] ?? '', 16), Number.parseInt(hex[2] ?? '', 16)]
            .flatMap((word) => [word >> 8, word & 255])
            .join('.')
        : undefined);
    return mapped
      ? privateV4(mapped)
      : host === '::1' || /^f[cd][0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host);
  }
  return /^(?:localhost|.+\.localhost|.+\.internal|.+\.local)$/.test(host);
}

/** Request headers API Gateway does not pass to an HTTP backend ("Amazon API Gateway important notes"). */
const DROPPED = new Set([
  'content-length',
  'content-md5',
  'expect',
  'host',
  'max-forwards',
  'proxy-authenticate',
  'server',
  'via',
  'www-authenticate',
]);
/** The backend's headers API Gateway keeps for itself: they come back as `x-amzn-Remapped-<name>`. */
const REMAPPED = new Set(['connection', 'content-length', 'date', 'server', 'x-amzn-requestid']);
// `Content-Encoding` stays: the body comes back as the backend encoded it.
const NOT_RETURNED = new Set(['transfer-encoding', 'via', 'keep-alive']);

/** Why a method's HTTP_PROXY URL is not called locally (the line at start), or undefined when it is. */
export function unreachableBackend(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return `its HTTP integration's URL ${JSON.stringify(url)} is not a URL; calls answer 500 Internal server error`;
  }
  if (awsHostOf(host) || onThisNetwork(host)) return undefined;
  return `its HTTP integration calls ${new URL(url).origin}, outside this machine: not called locally, so calls answer 500 Internal server error as for an unreachable backend`;
}

/** One line per HTTP_PROXY or HTTP method whose backend is not called locally. */
export function httpProxyWarnings(model: CloudAssemblyModel): string[] {
  return model.apis.flatMap((api) =>
    api.methods
      .filter((method) => method.integrationType === 'HTTP_PROXY' || method.integrationType === 'HTTP')
      .flatMap((method) => {
        const problem = unreachableBackend(method.httpUrl ?? '');
        return problem
          ? [`${api.stackName} ${api.logicalId} ${method.httpMethod} ${method.resourcePath}: ${problem}`]
          : [];
      }),
  );
}

/** The integration's URL for this request: `{name}` and `{proxy}` (greedy) filled from the path, the query appended. */
function backendUrl(
  template: string,
  path: { parameters: Record<string, string> | null; greedy: string[] },
  rawQuery: string,
): URL {
  // Values as received (still percent-encoded); any character a path may not hold is encoded (a
  // `\`, `?`, `#`…; a `/` but in a greedy one), so no value changes the host, the path's shape
  // or the query: API Gateway always calls the URI's own host.
  const filled = template.replace(/\{([^}+]+)\+?\}/g, (whole, name: string) => {
    const value = path.parameters?.[name];
    if (value === undefined) return whole;
    const greedy = path.greedy.includes(name);
    return value.replace(greedy ? /[^\w\-.~!$&'()*+,;=:@%/]/g : /[^\w\-.~!$&'()*+,;=:@%]/g, encodeURIComponent);
  });
  const url = new URL(filled);
  if (url.host !== new URL(template.replace(/\{[^}]*\}/g, 'x')).host)
    throw integrationError(`the integration's URL ${template} filled in names another host`);
  if (rawQuery) url.search = url.search ? `${url.search}&${rawQuery}` : `?${rawQuery}`;
  return url;
}

/** What a backend answered. */
interface BackendOutput {
  status: number;
  headers: Record<string, string[] | undefined>;
  body: Buffer;
}

/** Where an HTTP integration's request goes, and how API Gateway sends it. */
interface BackendCall {
  url: URL;
  method: string;
  headers: [string, string][];
  body: Buffer;
  timeoutMs: number;
  origin: string | undefined;
  where: string;
}

/**
 * Sends the integration request: to the stack itself for an AWS host it answers (by its Host,
 * as a function's call is), else to the URL. 504 past the method's timeout, 500 when the backend
 * cannot be reached or fails mid-answer.
 */
function callBackend(call: BackendCall): Promise<BackendOutput> {
  const { url, where } = call;
  let target = url;
  if (awsHostOf(url.hostname) !== undefined) {
    if (call.origin === undefined) throw integrationError(`${where}: no local stack to answer ${url.origin}`);
    // The stack's own address, the URL's path and query: set apart, so no path can name another host.
    target = new URL(call.origin);
    target.pathname = url.pathname;
    target.search = url.search;
  }
  const headers: [string, string][] = [...call.headers, ['Host', url.host]];
  if (call.body.length > 0) headers.push(['Content-Length', String(call.body.length)]);
  return new Promise<BackendOutput>((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(target, { method: call.method, headers: headers.flat() }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(integrationError(`${where}: ${url.origin} failed: ${error.message}`)));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 502, headers: response.headersDistinct, body: Buffer.concat(chunks) }),
      );
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(
        new AwsError(504, '', 'Endpoint request timed out', GATEWAY_MESSAGE).because(
          `${where}: ${url.origin} did not answer within ${call.timeoutMs} ms`,
        ),
      );
    }, call.timeoutMs);
    outgoing.on('close', () => clearTimeout(timer));
    outgoing.on('error', (error) => reject(integrationError(`${where}: ${url.origin} unreachable: ${error.message}`)));
    outgoing.end(call.body);
  });
}

/** What an HTTP integration is called with. */
export interface HttpIntegrationCall {
  request: LocalRequest;
  body: Buffer;
  pathParameters: Record<string, string> | null;
  rawQuery: string;
}

/** What API Gateway adds: its API id, the trace, its own address, and the method for lines on stderr. */
export interface HttpGateway {
  apiId: string;
  traceHeader: string;
  origin: string | undefined;
  where: string;
}

/** The backend's method: the integration's `IntegrationHttpMethod`, the caller's for `ANY` or none. */
const backendMethod = (method: MethodModel, request: LocalRequest) => {
  const named = method.integrationHttpMethod?.toUpperCase();
  return !named || named === 'ANY' ? request.method : named;
};

/** The integration's URL, or the line why it is not called (a 500). */
function backendOf(method: MethodModel, call: HttpIntegrationCall, gateway: HttpGateway, query: string): URL {
  const template = method.httpUrl ?? '';
  const problem = unreachableBackend(template);
  if (problem) throw integrationError(`${gateway.where}: ${problem}`);
  // A `{name+}` of the resource path is greedy: its value keeps its slashes (`{proxy}` in the URI).
  const greedy = [...method.resourcePath.matchAll(/\{([^}]+)\+\}/g)].map((match) => match[1] ?? '');
  return backendUrl(template, { parameters: call.pathParameters, greedy }, query);
}

/**
 * An HTTP_PROXY integration: the request passed through (a SigV4 `Authorization` dropped, API
 * Gateway's forwarding headers added), the backend's answer passed back but for the headers API
 * Gateway remaps.
 */
export async function httpProxyAnswer(
  method: MethodModel,
  call: HttpIntegrationCall,
  gateway: HttpGateway,
): Promise<LocalResponse> {
  const url = backendOf(method, call, gateway, call.rawQuery);
  const sigV4 = /^\s*AWS4-/i;
  const headers = forwardedHeaders(
    call.request.headers.filter(([name, value]) => !(name.toLowerCase() === 'authorization' && sigV4.test(value))),
    { host: url.host, sourceIp: call.request.sourceIp, traceHeader: gateway.traceHeader, drops: DROPPED },
  ).filter(([name]) => name.toLowerCase() !== 'host');
  headers.push(['x-amzn-apigateway-api-id', gateway.apiId]);
  const output = await callBackend({
    url,
    method: backendMethod(method, call.request),
    headers,
    body: call.body,
    timeoutMs: method.timeoutMs,
    origin: gateway.origin,
    where: gateway.where,
  });
  return passedBack(output);
}

/**
 * An HTTP (non-proxy) integration ("Set up HTTP integrations in API Gateway"): the backend gets
 * the request body (or the request template of its content type, rendered), `Accept:
 * application/json` and API Gateway's user agent, not the caller's headers or query (those
 * need mappings the local stack does not read); its status selects the integration response,
 * whose template (else the backend's body) and header mappings make the answer.
 */
export async function httpAnswer(
  method: MethodModel,
  call: HttpIntegrationCall,
  gateway: HttpGateway,
  values: TemplateValues,
): Promise<LocalResponse> {
  const url = backendOf(method, call, gateway, '');
  const templates = method.templates ?? { requestTemplates: {}, responses: [] };
  const contentType =
    headerOf(call.request.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase() || 'application/json';
  const template = templates.requestTemplates[contentType];
  // No template of its content type: passed through, unless the passthrough behavior says 415
  // ("Method request data mapping: passthrough behaviors").
  const behavior = method.passthroughBehavior ?? 'WHEN_NO_MATCH';
  const anyTemplate = Object.keys(templates.requestTemplates).length > 0;
  if (template === undefined && (behavior === 'NEVER' || (behavior === 'WHEN_NO_TEMPLATES' && anyTemplate)))
    throw new AwsError(415, 'UnsupportedMediaTypeException', 'Unsupported Media Type', GATEWAY_MESSAGE).because(
      `${gateway.where}: no request template for ${contentType}, and its passthrough behavior is ${behavior}`,
    );
  const rendered = template === undefined ? call.body.toString('utf8') : renderTemplate(template, values);
  if (rendered === undefined)
    throw integrationError(
      `${gateway.where}: the request template uses Velocity directives, which are not evaluated locally`,
    );
  const output = await callBackend({
    url,
    method: backendMethod(method, call.request),
    headers: [
      ['Accept', 'application/json'],
      ['User-Agent', `AmazonAPIGateway_${gateway.apiId}`],
      ['X-Amzn-Trace-Id', gateway.traceHeader],
      ...(rendered.length > 0 ? ([['Content-Type', 'application/json']] as [string, string][]) : []),
    ],
    body: Buffer.from(rendered),
    timeoutMs: method.timeoutMs,
    origin: gateway.origin,
    where: gateway.where,
  });
  const headers = Object.fromEntries(Object.entries(output.headers).map(([name, list]) => [name, list?.join(',')]));
  return integrationAnswer(templates, { status: String(output.status), headers }, call.request, gateway.where, {
    ...values,
    body: output.body.toString('utf8'),
  });
}

/** The backend's answer as API Gateway returns it: headers it keeps for itself remapped, hop-by-hop ones dropped. */
function passedBack({ status, headers, body }: BackendOutput): LocalResponse {
  const out: Record<string, string | string[]> = {};
  for (const [name, values = []] of Object.entries(headers)) {
    if (NOT_RETURNED.has(name)) continue;
    const key = REMAPPED.has(name) ? `x-amzn-Remapped-${name}` : name;
    out[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  // "API Gateway includes a Content-Type header for all integration responses": application/json by default.
  out['content-type'] ??= 'application/json';
  return { status, headers: out, body };
}
