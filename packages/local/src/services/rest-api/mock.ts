import type { IntegrationTemplates } from '../../assembly/model.js';
import { integrationError } from '../../aws-error.js';
import { headerOf, type LocalRequest, type LocalResponse } from '../../http.js';

// A REST method's MOCK integration (API Gateway, "Set up mock integrations"): the request template
// names a status code, which selects an integration response, whose template is the answer.

/** A Velocity directive (`#if`, `#set`, `#foreach`…), which the local stack does not evaluate. */
const DIRECTIVE = /#(?:if|elseif|else|end|set|foreach|macro|define|parse|include|evaluate|break|stop)\b/;

/** `$ref`, `$!ref` or `${ref}` of the references the local stack fills in. */
const REFERENCE =
  /\$(!?)(\{?)(context(?:\.\w+)+|input\.params\((?:'[^']*'|"[^"]*")\)|input\.body|input\.json\((?:'\$'|"\$")\)|stageVariables\.\w+)(\}?)/g;

/** What a template's references read: `$context.*`, `$input.params('x')`, `$input.body`, `$input.json('$')`. */
export interface TemplateValues {
  /** `$context.<key>` by dotted key (`requestId`, `identity.sourceIp`, `authorizer.principalId`). */
  context: Record<string, string>;
  /** `$input.params('name')`: the path parameter, else the query string's, else the header's. */
  param: (name: string) => string | undefined;
  body: string;
}

/**
 * A template with its references filled in, as API Gateway's Velocity engine renders them
 * ("API Gateway mapping template and access logging variable reference"); a reference it does not
 * know stays as written, as Velocity leaves undefined references, and `$!ref` is empty. A
 * directive is not evaluated here: undefined, so the call answers 500 with the reason.
 */
export function renderTemplate(template: string, values: TemplateValues): string | undefined {
  if (DIRECTIVE.test(template)) return undefined;
  return template.replace(REFERENCE, (whole, quiet: string, open: string, reference: string, close: string) => {
    // `${ref}` takes its braces as a pair; `$ref}` leaves the brace to the text around it.
    if (open && !close) return whole;
    let value: string | undefined;
    const param = /^input\.params\((['"])(.*)\1\)$/.exec(reference)?.[2];
    if (reference.startsWith('context.')) value = values.context[reference.slice(8)];
    else if (param !== undefined) value = values.param(param) ?? '';
    else if (reference === 'input.body') value = values.body;
    else if (reference.startsWith('input.json')) value = values.body || '{}';
    // An unknown reference stays as written, as Velocity leaves it; `$!ref` is empty.
    if (value === undefined && !quiet) return whole;
    return `${value ?? ''}${open ? '' : close}`;
  });
}

/**
 * The answer of a MOCK integration: the request template of the request's `Content-Type`
 * (`application/json` when it has none) gives `{"statusCode": N}`, which selects the
 * integration response ({@link integrationAnswer}). Templates' references are filled in
 * ({@link renderTemplate}); one with a Velocity directive answers 500 with the reason on stderr.
 */
export function mockAnswer(
  mock: IntegrationTemplates,
  request: LocalRequest,
  where: string,
  values: TemplateValues,
): LocalResponse {
  const contentType =
    headerOf(request.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase() || 'application/json';
  const raw = mock.requestTemplates[contentType];
  if (raw === undefined)
    throw integrationError(`${where}: MOCK integration with no request template for ${contentType}, so no statusCode`);
  const template = renderTemplate(raw, values);
  if (template === undefined)
    throw integrationError(
      `${where}: the MOCK request template uses Velocity directives, which are not evaluated locally`,
    );
  const statusCode = statusOf(template);
  if (statusCode === undefined)
    throw integrationError(`${where}: the MOCK request template names no statusCode (${JSON.stringify(template)})`);
  // A MOCK integration's own output has no body: `$input` of its response templates reads nothing.
  return integrationAnswer(mock, { status: String(statusCode), headers: {} }, request, where, { ...values, body: '' });
}

/**
 * The method's answer from an integration's (MOCK, HTTP) output, as API Gateway maps it
 * ("Integration responses"): the integration response whose `SelectionPattern` matches the
 * status (else the one without a pattern) gives the status, its template of the request's
 * `Accept` (else `application/json`, else its first) the body — the integration's own body
 * passed through when it has none —, its `method.response.header.*` parameters the headers
 * (static `'value'`s, `integration.response.header.<name>`). No response for the status: 500.
 */
export function integrationAnswer(
  templates: IntegrationTemplates,
  output: { status: string; headers: Record<string, string | undefined> },
  request: LocalRequest,
  where: string,
  values: TemplateValues,
): LocalResponse {
  const response =
    templates.responses.find(
      (candidate) => candidate.selectionPattern && fullMatch(candidate.selectionPattern, output.status),
    ) ?? templates.responses.find((candidate) => !candidate.selectionPattern);
  if (!response) throw integrationError(`${where}: no integration response for status ${output.status}`);
  const accepted = headerOf(request.headers, 'accept')?.split(',')[0]?.split(';')[0]?.trim().toLowerCase();
  const entries = Object.entries(response.responseTemplates);
  const chosen =
    entries.find(([key]) => key.toLowerCase() === accepted) ??
    entries.find(([key]) => key === 'application/json') ??
    entries[0];
  const rendered = chosen ? renderTemplate(chosen[1], values) : values.body;
  if (rendered === undefined)
    throw integrationError(`${where}: the response template uses Velocity directives, which are not evaluated locally`);
  const headers: Record<string, string> = { 'content-type': chosen?.[0] ?? 'application/json' };
  for (const [name, value] of Object.entries(response.responseParameters)) {
    const target = /^method\.response\.header\.(.+)$/.exec(name)?.[1];
    const literal = /^'(.*)'$/s.exec(value)?.[1];
    const mapped = /^integration\.response\.header\.(.+)$/.exec(value)?.[1];
    const header = literal ?? (mapped ? output.headers[mapped.toLowerCase()] : undefined);
    if (target && header !== undefined) headers[target] = header;
  }
  return { status: Number(response.statusCode), headers, body: rendered };
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
