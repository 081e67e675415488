import type { MethodModel } from '../../assembly/model.js';
import { percentDecode } from '../../sigv4/canonical.js';

/** What routing needs of a REST method or an HTTP API route. */
export interface Routable {
  /** A method, or `ANY`. */
  httpMethod: string;
  /** The path template, e.g. `/{proxy+}`. */
  resourcePath: string;
}

/** The method a request reaches, and its path parameters (decoded). */
export interface RouteMatch<T extends Routable = MethodModel> {
  method: T;
  pathParameters: Record<string, string> | null;
}

// Per segment: a literal beats {param}, which beats {greedy+}.
const LITERAL = 2;
const PARAM = 1;
const GREEDY = 0;

function matchPath(
  template: string,
  segments: string[],
): { score: number[]; params: Record<string, string> } | undefined {
  const parts = template.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  const score: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy) {
      if (i !== parts.length - 1 || segments.length <= i) return undefined;
      params[greedy[1] ?? ''] = segments.slice(i).map(percentDecode).join('/');
      score.push(GREEDY);
      return { score, params };
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(part);
    if (param) {
      params[param[1] ?? ''] = percentDecode(segment);
      score.push(PARAM);
    } else if (percentDecode(segment) === part) score.push(LITERAL);
    else return undefined;
  }
  return segments.length === parts.length ? { score, params } : undefined;
}

const compareScores = (a: number[], b: number[]): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
};

/**
 * Finds the method API Gateway would pick for a request: the most specific resource
 * (literal segments over `{param}` over `{proxy+}`), then the exact HTTP method over `ANY`.
 *
 * @example
 * ```ts
 * matchRoute(api.methods, 'POST', '/echo/a%20b'); // → ANY /{proxy+}, { proxy: 'echo/a b' }
 * ```
 */
export function matchRoute<T extends Routable>(
  methods: T[],
  httpMethod: string,
  wirePath: string,
): RouteMatch<T> | undefined {
  const segments = wirePath.split('/').filter(Boolean);
  let best: { method: T; score: number[]; params: Record<string, string> } | undefined;
  for (const method of methods) {
    if (method.httpMethod !== httpMethod && method.httpMethod !== 'ANY') continue;
    const match = matchPath(method.resourcePath, segments);
    if (!match) continue;
    const order = best ? compareScores(match.score, best.score) : 1;
    if (order > 0 || (order === 0 && best && best.method.httpMethod === 'ANY' && method.httpMethod !== 'ANY')) {
      best = { method, ...match };
    }
  }
  if (!best) return undefined;
  return { method: best.method, pathParameters: Object.keys(best.params).length > 0 ? best.params : null };
}

/**
 * The ARN IAM authorizes for a request on an API's stage, REST or HTTP:
 * `<api arn>/<stage>/<METHOD>/<path>` with the path as routing saw it (each segment decoded,
 * empty ones dropped): `/%61dmin` and `//admin/` reach `/admin`, so a policy on
 * `…/GET/admin` decides them too.
 *
 * @example
 * ```ts
 * invokeArn('arn:aws:execute-api:us-east-1:111111111111:abc123', 'prod', 'GET', '/%61dmin'); // → …:abc123/prod/GET/admin
 * ```
 */
export function invokeArn(apiArn: string, stage: string, method: string, path: string): string {
  return `${apiArn}/${stage}/${method}/${path.split('/').filter(Boolean).map(percentDecode).join('/')}`;
}

/** `GET /, ANY /{proxy+}`: an API's routes for a sentence, the first ten. */
export function routesOf(methods: (Routable & { routeKey?: string })[]): string {
  const all = methods.map((method) => method.routeKey ?? `${method.httpMethod} ${method.resourcePath}`);
  return all.length === 0 ? 'no methods' : `${all.slice(0, 10).join(', ')}${all.length > 10 ? ', …' : ''}`;
}
