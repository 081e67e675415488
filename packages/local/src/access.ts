import { randomBytes } from 'node:crypto';
import { type CloudAssemblyModel, type RestApiModel, readCloudAssembly } from './assembly/model.js';
import { AwsError } from './aws-error.js';
import type { RequestFacts, ThroughEndpoint } from './iam/context-keys.js';
import type { DecisionRecord, DecisionSink } from './iam/decisions.js';
import type { Identity } from './iam/identities.js';
import { attachManagedPolicies } from './iam/managed-policies.js';
import { type PrincipalReport, policyReport } from './iam/policy-report.js';
import { type PrincipalOptions, principalsOf } from './principals.js';
import { authorizeFunctionUrl } from './services/function-url/handler.js';
import { authorizeHttpRequest, routeHttpRequest } from './services/http-api/handler.js';
import { authorizeInvoke } from './services/lambda-api/invoke-api.js';
import { authorizeRestRequest, privateOnlyThroughEndpoints, routeRestRequest } from './services/rest-api/handler.js';
import { throughEndpoint } from './services/vpc-endpoint/endpoint.js';

/** One cell of the matrix: may this principal call this endpoint, and why. */
export interface AccessCell {
  principal: string;
  /** `GET /prod/items`, `GET /` (HTTP API), `GET <function> function URL`, `Invoke <function>`. */
  endpoint: string;
  kind: 'rest' | 'functionUrl' | 'httpApi' | 'invoke';
  allowed: boolean;
  /** One line: the deciding policy and statement, or what AWS would answer. */
  reason: string;
  /**
   * Why it is denied: a Deny statement (`explicit`), no identity-based allow (`identity`), no
   * resource-based allow where one is needed (`resource`), or refused before any policy was
   * consulted (`refused`: unsigned, a Lambda authorizer's method, an unknown route). @default none: allowed
   */
  denial?: 'explicit' | 'identity' | 'resource' | 'refused' | undefined;
}

/** The kind of a denial, from its record (none: refused before any policy). */
function denialOf(record: DecisionRecord | undefined): AccessCell['denial'] {
  if (!record) return 'refused';
  if (record.policies.some((policy) => policy.verdict === 'deny')) return 'explicit';
  const identityAllows = record.policies.some((policy) => policy.kind === 'identity' && policy.verdict === 'allow');
  return identityAllows || record.caller === 'anonymous' ? 'resource' : 'identity';
}

/** Who can call what in an app, decided by the evaluator the local stack serves with. */
export interface AccessMatrix {
  cells: AccessCell[];
  /** The principals' names (`requestor`, `outsider`, `operator`…). */
  principals: string[];
  /** Whether `principal` may call `method path` on the app's REST or HTTP APIs (`/prod/items`, `/restapis/<id>/prod/…`, `/httpapis/<id>/…`). */
  can(principal: string, method: string, path: string): boolean;
  /** The decision for `method path`, with its one-line reason. */
  explain(principal: string, method: string, path: string): AccessCell;
  /** Whether `principal` may call the function's URL (by the function's name). */
  canCallUrl(principal: string, functionName: string): boolean;
  /** Whether `principal` may invoke the function through the Lambda API (by its name). */
  canInvoke(principal: string, functionName: string): boolean;
  /** The least privilege a run's decisions (`serve --decisions`) needed, against these principals' policies. */
  leastPrivilege(decisions: DecisionRecord[]): PrincipalReport[];
}

/** Options of {@link accessOf}. */
export interface AccessOptions extends Partial<Omit<PrincipalOptions, 'seed'>> {
  /** The caller's source IP for `aws:SourceIp` conditions. @default '127.0.0.1' */
  sourceIp?: string;
  /** Stack parameters by stack name, as `cdk deploy --parameters` gives them. @default none */
  parameters?: Record<string, Record<string, string>>;
}

/** `{proxy+}` and `{id}` become a concrete segment, as a caller's request would have one. */
const samplePath = (template: string) => template.replace(/\{[^}]+\}/g, 'x');

/**
 * Who can call what, from a cloud assembly alone (a `cdk.out` path or the result of
 * `app.synth()`), without serving anything: every principal the local stack would have (plus
 * the outsider) against every IAM-authorized endpoint. The server and the matrix decide
 * through the same functions, so they cannot disagree.
 *
 * @example
 * ```ts
 * const access = accessOf(app.synth());
 * expect(access.can('requestor', 'GET', '/prod/')).toBe(true);
 * expect(access.can('outsider', 'GET', '/prod/')).toBe(false);
 * ```
 */
export function accessOf(
  assembly: string | string[] | { directory: string },
  options: AccessOptions = {},
): AccessMatrix {
  const directory = typeof assembly === 'string' || Array.isArray(assembly) ? assembly : assembly.directory;
  const model = readCloudAssembly(directory, {
    defaultAccountId: options.defaultAccountId,
    parameters: options.parameters,
  });
  attachManagedPolicies(model);
  const principals = principalsOf(model, { ...options, seed: randomBytes(32) });
  const facts = (region: string, via?: ThroughEndpoint): RequestFacts => ({
    now: new Date(),
    sourceIp: via?.vpcSourceIp ?? options.sourceIp ?? '127.0.0.1',
    headers: [['user-agent', 'iam-m2m-local access']],
    region,
    via,
  });
  const identity = (name: string): Identity => {
    const found = principals.find((candidate) => candidate.name === name);
    if (!found)
      throw new Error(
        `no principal named ${JSON.stringify(name)}: the app has ${principals.map((p) => p.name).join(', ')}`,
      );
    return found;
  };

  /** Runs one authorization as the server would and turns its outcome into a cell. */
  const decide = (
    principal: string,
    kind: AccessCell['kind'],
    endpoint: string,
    run: (caller: Identity, sink: DecisionSink) => void,
  ): AccessCell => {
    const records: DecisionRecord[] = [];
    try {
      run(identity(principal), (record) => records.push(record));
      const last = records.at(-1);
      return { principal, endpoint, kind, allowed: true, reason: last?.reason ?? 'no authorization (NONE)' };
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      const denied = records.find((record) => !record.allowed);
      return {
        principal,
        endpoint,
        kind,
        allowed: false,
        reason:
          denied?.reason ?? (error.why ? `${error.why} (${error.status} here)` : `${error.status} ${error.message}`),
        denial: denialOf(denied),
      };
    }
  };

  /** A REST call, routed and authorized as the server does; `path` from the stage on. */
  const restCell = (
    principal: string,
    api: RestApiModel,
    method: string,
    path: string,
    endpoint: string,
    via?: ThroughEndpoint,
  ) =>
    decide(principal, 'rest', via ? `${endpoint} (through ${via.endpoint.id})` : endpoint, (caller, sink) => {
      privateOnlyThroughEndpoints(api, { via });
      const routed = routeRestRequest(api, method, path);
      // Through an endpoint with a policy of its own, the caller signs for it even on a NONE method.
      const signs = routed.route.method.authorizationType === 'AWS_IAM' || via?.endpoint.policy !== undefined;
      authorizeRestRequest(api, routed, method, signs ? caller : undefined, facts(api.region, via), sink);
    });

  /** The decision for a path as the local stack serves it: `/httpapis/<id>/…`, `/restapis/<id>/<stage>/…`, `/<stage>/…`. */
  const explain = (principal: string, method: string, path: string, via?: ThroughEndpoint): AccessCell => {
    const endpoint = `${method} ${path}`;
    const http = /^\/httpapis\/([a-z0-9]+)(\/.*)?$/.exec(path);
    if (http) {
      const api = model.httpApis.find((candidate) => candidate.apiId === http[1]);
      if (!api) throw new Error(`no HTTP API ${http[1]} in the app`);
      return decide(principal, 'httpApi', endpoint, (caller, sink) => {
        const routed = routeHttpRequest(api, method, http[2] ?? '/');
        authorizeHttpRequest(api, routed, method, caller, facts(api.region), sink);
      });
    }
    const rest = /^\/restapis\/([a-z0-9]+)(\/.*)?$/.exec(path);
    if (rest) {
      const api = model.apis.find((candidate) => candidate.restApiId === rest[1]);
      if (!api) throw new Error(`no REST API ${rest[1]} in the app`);
      return restCell(principal, api, method, rest[2] ?? '/', endpoint, via);
    }
    const api =
      model.apis.find(
        (candidate) => path === `/${candidate.stageName}` || path.startsWith(`/${candidate.stageName}/`),
      ) ?? model.apis[0];
    if (!api) throw new Error('the app has no REST API');
    return restCell(principal, api, method, path, endpoint, via);
  };

  const functionNamed = (name: string) => {
    const fn = model.functions.find((candidate) => candidate.name === name || candidate.functionName === name);
    if (!fn) throw new Error(`no function named ${JSON.stringify(name)} in the app`);
    return fn;
  };
  const urlCell = (principal: string, name: string): AccessCell => {
    const fn = functionNamed(name);
    const url = model.functionUrls.find((candidate) => candidate.functionArn === fn.arn);
    if (!url) throw new Error(`function ${name} has no URL`);
    return decide(principal, 'functionUrl', `GET ${fn.name} function URL`, (caller, sink) =>
      authorizeFunctionUrl(url, fn, url.authType === 'AWS_IAM' ? caller : undefined, 'GET', facts(url.region), sink),
    );
  };
  const invokeCell = (principal: string, name: string): AccessCell => {
    const fn = functionNamed(name);
    return decide(principal, 'invoke', `Invoke ${fn.name}`, (caller, sink) =>
      authorizeInvoke(fn, undefined, caller, facts(fn.region), sink),
    );
  };

  const cells: AccessCell[] = [];
  for (const { name } of principals) {
    for (const api of model.apis) {
      const prefix = model.apis[0] === api ? '' : `/restapis/${api.restApiId}`;
      for (const method of api.methods) {
        const verb = method.httpMethod === 'ANY' ? 'GET' : method.httpMethod;
        const path = `${prefix}/${api.stageName}${samplePath(method.resourcePath)}`;
        // A private API only through the app's execute-api endpoints (none: one cell, refused).
        const ways = api.endpointType === 'PRIVATE' ? throughEndpoints(model, api) : [];
        if (ways.length === 0) cells.push(explain(name, verb, path));
        for (const via of ways) cells.push(explain(name, verb, path, via));
      }
    }
    for (const url of model.functionUrls) {
      const fn = model.functions.find((candidate) => candidate.arn === url.functionArn);
      if (fn) cells.push(urlCell(name, fn.name));
    }
    for (const api of model.httpApis) {
      for (const route of api.routes) {
        const verb = route.httpMethod === 'ANY' || route.httpMethod === '$default' ? 'GET' : route.httpMethod;
        const stage = api.stageName === '$default' ? '' : `/${api.stageName}`;
        cells.push(explain(name, verb, `/httpapis/${api.apiId}${stage}${samplePath(route.resourcePath || '/')}`));
      }
    }
    for (const fn of model.functions) cells.push(invokeCell(name, fn.name));
  }
  return {
    cells,
    principals: principals.map((principal) => principal.name),
    can: (principal, method, path) => explain(principal, method.toUpperCase(), path).allowed,
    explain: (principal, method, path) => explain(principal, method.toUpperCase(), path),
    canCallUrl: (principal, name) => urlCell(principal, name).allowed,
    canInvoke: (principal, name) => invokeCell(principal, name).allowed,
    leastPrivilege: (decisions) => policyReport(decisions, principals),
  };
}

/** A private API's calls come through an execute-api endpoint of its region: each one the app has. */
function throughEndpoints(model: CloudAssemblyModel, api: RestApiModel): ThroughEndpoint[] {
  return model.vpcEndpoints
    .filter((endpoint) => endpoint.service === 'execute-api' && endpoint.type === 'Interface')
    .filter((endpoint) => endpoint.region === api.region)
    .map((endpoint) => throughEndpoint(model, endpoint));
}

/** The matrix as text: one line per principal and endpoint, allowed or denied, with the reason. */
export function accessText(matrix: AccessMatrix): string {
  const width = Math.max(...matrix.cells.map((cell) => cell.principal.length), 9);
  const endpointWidth = Math.max(...matrix.cells.map((cell) => cell.endpoint.length), 8);
  return `${matrix.cells
    .map(
      (cell) =>
        `${cell.principal.padEnd(width)}  ${cell.endpoint.padEnd(endpointWidth)}  ${cell.allowed ? 'ALLOW' : 'DENY '}  ${cell.reason}`,
    )
    .join('\n')}\n`;
}
