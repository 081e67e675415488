import type { MockIntegrationModel } from '../../assembly/model.js';
import { AwsError, GATEWAY_MESSAGE } from '../../aws-error.js';
import { headerOf, type LocalRequest, type LocalResponse } from '../../http.js';

// A REST method's MOCK integration (API Gateway, "Set up mock integrations"): the request template
// names a status code, which selects an integration response, whose template is the answer.

/** Velocity (VTL) in a template: a variable or a directive, which the local stack does not evaluate. */
const VTL = /[$#]/;

const internalError = (why: string) =>
  new AwsError(500, 'InternalServerErrorException', 'Internal server error', GATEWAY_MESSAGE).because(why);

/**
 * The answer of a MOCK integration: the request template of the request's `Content-Type`
 * (`application/json` when it has none) gives `{"statusCode": N}`; the integration response
 * whose `SelectionPattern` matches N (else the one without a pattern) gives the status, its
 * template of the request's `Accept` (else `application/json`, else its first) the body, and
 * its static `method.response.header.*` parameters the headers. A template with VTL is not
 * evaluated here: such a call answers 500 with the reason on stderr.
 */
export function mockAnswer(mock: MockIntegrationModel, request: LocalRequest, where: string): LocalResponse {
  const header = (name: string) => headerOf(request.headers, name);
  const contentType = header('content-type')?.split(';')[0]?.trim().toLowerCase() || 'application/json';
  const template = mock.requestTemplates[contentType];
  if (template === undefined)
    throw internalError(`${where}: MOCK integration with no request template for ${contentType}, so no statusCode`);
  if (VTL.test(template))
    throw internalError(`${where}: the MOCK request template uses VTL, which is not evaluated locally`);
  const statusCode = statusOf(template);
  if (statusCode === undefined)
    throw internalError(`${where}: the MOCK request template names no statusCode (${JSON.stringify(template)})`);
  const response =
    mock.responses.find(
      (candidate) => candidate.selectionPattern && fullMatch(candidate.selectionPattern, String(statusCode)),
    ) ?? mock.responses.find((candidate) => !candidate.selectionPattern);
  if (!response) throw internalError(`${where}: no integration response for status ${statusCode}`);
  const accepted = header('accept')?.split(',')[0]?.split(';')[0]?.trim().toLowerCase();
  const [type, body = ''] = Object.entries(response.responseTemplates).find(
    ([key]) => key.toLowerCase() === accepted,
  ) ??
    Object.entries(response.responseTemplates).find(([key]) => key === 'application/json') ??
    Object.entries(response.responseTemplates)[0] ?? ['application/json', ''];
  if (VTL.test(body))
    throw internalError(`${where}: the MOCK response template uses VTL, which is not evaluated locally`);
  const headers: Record<string, string> = { 'content-type': type };
  for (const [name, value] of Object.entries(response.responseParameters)) {
    const literal = /^'(.*)'$/s.exec(value)?.[1];
    const target = /^method\.response\.header\.(.+)$/.exec(name)?.[1];
    if (target && literal !== undefined) headers[target] = literal;
  }
  return { status: Number(response.statusCode), headers, body };
}

/**
 * `{"statusCode": 200}` → 200, read as API Gateway reads it, leniently: CDK's CORS preflight writes
 * `{ statusCode: 200 }`, keys unquoted. Undefined when the template names no status code.
 */
function statusOf(template: string): number | undefined {
  const code = Number(/["']?statusCode["']?\s*:\s*["']?(\d{3})\b/.exec(template)?.[1]);
  return code >= 100 && code <= 599 ? code : undefined;
}

/** A selection pattern matches the whole status code, as API Gateway's regular expressions do. */
function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, 's').test(value);
  } catch {
    return false;
  }
}
