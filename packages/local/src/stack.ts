import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  AssemblyError,
  type CloudAssemblyModel,
  type FunctionModel,
  type FunctionUrlModel,
  type HttpApiModel,
  type RestApiModel,
  readCloudAssembly,
} from './assembly/model.js';
import { StackConsole } from './console/server.js';
import { type LocalRequest, type LocalResponse, listen } from './http.js';
import type { DecisionSink } from './iam/decisions.js';
import { type Identity, IdentityStore } from './iam/identities.js';
import { attachManagedPolicies } from './iam/managed-policies.js';
import type { Organization } from './iam/organization.js';
import { policyProblems, policyWarnings } from './iam/policy.js';
import { defaultSeedFile, projectSeed } from './iam/seed.js';
import { sameCodeFolder } from './lambda/code-folder.js';
import type { Environments } from './lambda/environments.js';
import { installHint, nodeBinaryFor } from './lambda/node-binary.js';
import { FunctionRuntime } from './lambda/runtime.js';
import { runtimeModuleWarnings } from './lambda/runtime-modules.js';
import { joinOrganization, principalsOf } from './principals.js';
import { route, unreadRecord } from './routing.js';
import { httpProxyWarnings } from './services/rest-api/http-backend.js';
import { privateApiProblems, privateApiWarnings } from './services/vpc-endpoint/checks.js';
import { endpointPolicy, type RunnerNetwork, runnerNetwork } from './services/vpc-endpoint/endpoint.js';
import { closeServer, EndpointListeners, listenedFor } from './services/vpc-endpoint/listeners.js';
import { XRayDaemon } from './services/xray/daemon.js';
import type { TraceSampling } from './services/xray/sampling.js';
import { type LocalState, localState, writeStateFile } from './state.js';

export type { LocalState } from './state.js';

/** Options of {@link LocalStack.start}. */
export interface LocalStackOptions {
  /** The synthesized cloud assembly (`cdk.out`), or several apps' assemblies served together (one account space). */
  assemblyDir: string | string[];
  /** Stack parameters by stack name, as `cdk deploy --parameters <stack>:<key>=<value>` gives them. @default none */
  parameters?: Record<string, Record<string, string>>;
  /** Port on 127.0.0.1. @default 0, any free port */
  port?: number;
  /** Where the functions' own output goes. @default 'inherit' (this process's stderr) */
  functionOutput?: 'inherit' | 'ignore';
  /** Account of env-agnostic stacks. @default '000000000000' */
  defaultAccountId?: string;
  /** The servers' clock (tests move it). @default the system clock */
  now?: () => Date;
  /**
   * The AWS Organizations id of every account of the assembly (`aws:PrincipalOrgID`); the
   * outsider's account is never in it. @default none
   */
  organizationId?: string;
  /**
   * The organization in full (`serve --organization <file>`): its accounts' OU paths for
   * `aws:PrincipalOrgPaths` and its service control policies, evaluated for member accounts. @default none
   */
  organization?: Organization;
  /**
   * The project's secret seed, from which every principal's credentials are derived (the same
   * on every start). @default `.iam-m2m-local/seed` beside the assembly folder, made when missing
   */
  seedFile?: string;
  /** Start with a new seed, so every principal gets new credentials. @default false */
  fresh?: boolean;
  /** Where warnings go, one line each (what is served with a difference from AWS). @default stderr */
  warn?: (line: string) => void;
  /** Receives every authorization decision (who, what, which policy said what, why). @default none */
  decisions?: DecisionSink;
  /** Every X-Ray segment document, one JSON line each (`serve --traces <file>`). @default none */
  tracesFile?: string;
  /**
   * Which requests without a sampling decision are traced: `all` (every trace whole, for tests
   * that read them) or `aws` (AWS's default rule: the first each second, then 5 %). @default 'all'
   */
  traceSampling?: TraceSampling;
  /**
   * How a function's execution environments grow under concurrency: `warm` (as many as the
   * machine's cores, reused warm, one more when calls wait and none came free for 50 ms) or `per-request`
   * (a new one whenever all are busy, as Lambda scales). Both up to 16. @default 'warm'
   */
  environments?: Environments;
  /** Serve the console on this port, under `/~console/` (`serve --console`). @default false */
  console?: boolean;
}

/**
 * The local stand-in for the AWS parts of the pattern, driven by any CDK cloud assembly: API
 * Gateway REST APIs (AWS_IAM), the Lambda Invoke API and the functions themselves, on one
 * port of 127.0.0.1. Each function runs with its role's locally minted credentials.
 *
 * @example
 * ```ts
 * const stack = await LocalStack.start({ assemblyDir: 'cdk.out' });
 * console.log(stack.state().apis[0]?.url);
 * await stack.close();
 * ```
 */
export class LocalStack {
  identities: IdentityStore;
  readonly runtimes = new Map<string, FunctionRuntime>();
  /** The local X-Ray daemon: the functions' segments and the stack's own. */
  xray!: XRayDaemon;
  #server: Server | undefined;
  #origin = '';
  /** Each served interface VPC endpoint's own listener: a request there comes through that endpoint. */
  readonly #endpoints = new EndpointListeners(
    (request) => this.#route(request),
    () => this.model,
    () => this.#now(),
    (why) => this.#unread(why),
  );

  /** The console, with `console: true`: the decisions made and who can call what. */
  readonly console: StackConsole | undefined;
  /** The assemblies served now (a reload brings others). */
  #assemblies: string | string[];
  readonly #decisionSink: DecisionSink | undefined;

  private constructor(
    public model: CloudAssemblyModel,
    private readonly options: LocalStackOptions,
    private readonly warn: (line: string) => void,
    private readonly seed: Buffer,
  ) {
    this.identities = new IdentityStore(options.now);
    this.#assemblies = options.assemblyDir;
    this.console = options.console
      ? new StackConsole({
          origin: () => this.#origin,
          assemblies: () => this.#assemblies,
          accessOptions: { defaultAccountId: options.defaultAccountId, parameters: options.parameters },
          traces: () => this.xray?.documents() ?? [],
          identities: () => this.identities.all(),
        })
      : undefined;
    const { console: stackConsole } = this;
    const sink = options.decisions;
    // Every decision: to the caller's sink, and to the console when it is on.
    this.#decisionSink = stackConsole
      ? (record) => {
          sink?.(record);
          stackConsole.record(record);
        }
      : sink;
  }

  /**
   * Reads the assembly, checks its policies, mints identities, listens, and prepares every function.
   *
   * @throws {AssemblyError} listing, one line each, what the local stack cannot honour.
   * @throws {MissingAssemblyError} when `assemblyDir` is not a cloud assembly.
   */
  public static async start(options: LocalStackOptions): Promise<LocalStack> {
    const warn = options.warn ?? ((line: string) => process.stderr.write(`iam-m2m-local: warning: ${line}\n`));
    const model = loadModel(options.assemblyDir, options);
    for (const line of model.warnings) warn(line);
    const seed = projectSeed(options.seedFile ?? defaultSeedFile(firstOf(options.assemblyDir)), options.fresh);
    const stack = new LocalStack(model, options, warn, seed);
    stack.xray = await XRayDaemon.start({
      tracesFile: options.tracesFile,
      sampling: options.traceSampling,
      warn,
      // The secrets of every principal, minted ones included: never in a document written.
      secrets: () =>
        stack.identities.all().flatMap(({ credentials }) => [credentials.secretAccessKey, credentials.sessionToken]),
    });
    stack.#server = await listen(options.port ?? 0, (request) => stack.#route(request), stack.#now, {
      unread: (why) => stack.#unread(why),
    });
    stack.#origin = `http://127.0.0.1:${(stack.#server.address() as AddressInfo).port}`;
    await stack.#endpoints.open(model);
    stack.#prepare();
    return stack;
  }

  /**
   * Swaps in a new assembly of the same app (`serve --watch`): new policies, routes and code.
   * A function whose definition is unchanged keeps its warm processes; a changed one starts
   * afresh while the old one finishes the invocations it started. Principals keep their
   * credentials (they derive from the seed and the ARN). Throws, and changes nothing, when the
   * new assembly cannot be served.
   *
   * @returns what changed, for one line of output.
   */
  public async reload(assemblyDir: string | string[]): Promise<ReloadSummary> {
    const model = loadModel(assemblyDir, this.options);
    await this.#endpoints.open(model);
    const before = this.model;
    const summary = describeChanges(before, model);
    const issued = this.identities.all().filter((identity) => identity.issued);
    const identities = new IdentityStore(this.options.now);
    const principals = principalsOf(model, { ...this.options, seed: this.seed });
    for (const identity of [...principals, ...issued]) identities.add(identity);
    const previous = new Map(this.runtimes);
    this.runtimes.clear();
    this.model = model;
    for (const fn of model.functions) {
      const old = previous.get(fn.arn);
      const session = principals.find((identity) => identity.name === fn.name) as Identity;
      const environment = this.#environment(fn, session);
      if (
        old &&
        sameFunction(old.fn, fn) &&
        JSON.stringify(old.environment) === JSON.stringify(environment) &&
        JSON.stringify(old.network) === JSON.stringify(this.#network(fn))
      ) {
        old.fn = fn;
        this.runtimes.set(fn.arn, old);
        previous.delete(fn.arn);
      } else {
        this.runtimes.set(fn.arn, this.#runtimeOf(fn, environment));
      }
    }
    this.#endpoints.prune(model);
    this.identities = identities;
    this.#assemblies = assemblyDir;
    this.console?.reloaded();
    for (const runtime of previous.values()) void runtime.closeWhenIdle();
    for (const line of model.warnings.filter((line) => !before.warnings.includes(line))) this.warn(line);
    return summary;
  }

  /** `http://127.0.0.1:<port>` */
  public get origin(): string {
    return this.#origin;
  }

  /** The base URL of an API's stage as functions and clients reach it locally. */
  public apiUrl(api: RestApiModel): string {
    const first = this.model.apis[0] === api;
    return `${this.#origin}${first ? '' : `/restapis/${api.restApiId}`}/${api.stageName}/`;
  }

  /** A function URL as clients reach it locally: `<origin>/lambda-url/<url id>/`. */
  public functionUrl(url: FunctionUrlModel): string {
    return `${this.#origin}/lambda-url/${url.urlId}/`;
  }

  /** An HTTP API's stage as clients reach it locally: `<origin>/httpapis/<api id>/` (then the stage, unless `$default`). */
  public httpApiUrl(api: HttpApiModel): string {
    return `${this.#origin}/httpapis/${api.apiId}/${api.stageName === '$default' ? '' : `${api.stageName}/`}`;
  }

  /** The function of the given name (its construct id: `requestor`). */
  public runtime(name: string): FunctionRuntime | undefined {
    return [...this.runtimes.values()].find((runtime) => runtime.fn.name === name);
  }

  /** The identity of the given name (a function's or role's name, `outsider`, `operator`…). */
  public identity(name: string): Identity | undefined {
    return this.identities.all().find((identity) => identity.name === name);
  }

  /** What the state file holds. */
  public state(): LocalState {
    return localState(this);
  }

  /** Writes the state file atomically (readers never see half of it), readable by its owner only. */
  public writeState(file: string): void {
    writeStateFile(file, this.state());
  }

  /** `http://127.0.0.1:<port>` of a VPC endpoint's own listener: a call there comes through it. */
  public endpointOrigin(id: string): string | undefined {
    return this.#endpoints.origin(id);
  }

  /** Stops the servers and every function. */
  public async close(): Promise<void> {
    for (const runtime of this.runtimes.values()) runtime.close();
    await Promise.all([this.#server && closeServer(this.#server), this.#endpoints.close()]);
    await this.xray?.close();
  }

  /** What a function in a VPC reaches (its VPC's endpoints, each at its listener; the internet or not); undefined outside a VPC. */
  #network(fn: FunctionModel): RunnerNetwork | undefined {
    return runnerNetwork(fn, this.model, (endpoint) => this.#endpoints.origin(endpoint.id));
  }

  #now = (): Date => this.options.now?.() ?? new Date();

  /** A principal per function (its role's session), per role no function uses, and the extra callers. */
  #prepare(): void {
    const principals = principalsOf(this.model, { ...this.options, seed: this.seed });
    for (const identity of principals) this.identities.add(identity);
    for (const fn of this.model.functions) {
      const session = principals.find((identity) => identity.name === fn.name) as Identity;
      this.runtimes.set(fn.arn, this.#runtimeOf(fn, this.#environment(fn, session)));
    }
    this.#warnNodeMajors();
    for (const line of runtimeModuleWarnings(this.model.functions)) this.warn(line);
  }

  /** One warning per runtime whose Node.js major is not at hand, naming both majors and how to get it. */
  #warnNodeMajors(): void {
    const missing = new Map<string, string[]>();
    for (const runtime of this.runtimes.values()) {
      if (runtime.fn.unsupported || runtime.node.exact) continue;
      missing.set(runtime.fn.runtime, [...(missing.get(runtime.fn.runtime) ?? []), runtime.fn.name]);
    }
    for (const [runtime, names] of missing) {
      const major = nodeBinaryFor(runtime).major;
      this.warn(
        `functions of runtime ${runtime} (${names.join(', ')}) run on Node.js ${process.versions.node} here, not ${major}: \`${installHint(major)}\` or IAM_M2M_NODE_${major}=<path to node> to run them on ${major}`,
      );
    }
  }

  /**
   * The function's environment: its template's variables, as on AWS, and its role's credentials.
   * Its calls to AWS hosts are answered here whatever their URL (its runner connects them to this stack).
   */
  #environment(fn: FunctionModel, session: Identity): Record<string, string> {
    // AWS URLs stay as the template has them: the function's calls to AWS hosts reach this stack.
    return {
      ...fn.environment,
      AWS_ACCESS_KEY_ID: session.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: session.credentials.sessionToken,
    };
  }

  /** A function's runtime: its environment, where its output goes, this stack's X-Ray daemon and origin. */
  #runtimeOf(fn: FunctionModel, environment: Record<string, string>): FunctionRuntime {
    return new FunctionRuntime(fn, {
      environment,
      output: this.options.functionOutput ?? 'inherit',
      segments: this.xray,
      assemblyDir: fn.assemblyDir,
      stackOrigin: this.#origin,
      network: this.#network(fn),
      notice: this.warn,
      environments: this.options.environments,
    });
  }

  /** A request no service could read (its head too large, not HTTP): its record, for stderr. */
  #unread(why: string): void {
    this.#decisionSink?.(unreadRecord(why));
  }

  #route(request: LocalRequest): Promise<LocalResponse> {
    if (this.console?.answers(request)) return Promise.resolve(this.console.handle(request));
    const context = {
      identities: this.identities,
      runtimes: this.runtimes,
      now: this.options.now,
      decisions: this.#decisionSink,
      segments: this.xray,
      origin: this.#origin,
    };
    return route(request, { model: this.model, context, register: (session) => this.#register(session) });
  }

  /** A session the local STS hands out: in its account's organization, known by its key from now on. */
  #register(session: Identity): Identity {
    session.issued = true;
    joinOrganization(session, this.options);
    return this.identities.add(session);
  }
}

/** What a reload changed. */
export interface ReloadSummary {
  /** Functions whose code or configuration changed (they start afresh), added or removed. */
  functions: { changed: string[]; added: string[]; removed: string[] };
  /** Roles, APIs, functions and URLs whose policies changed. */
  policies: string[];
  /** REST methods, HTTP API routes and function URLs added or removed. */
  routes: { added: string[]; removed: string[] };
}

/** What runs, besides its code folder: inline code, handler, runtime, limits, environment, role. */
const runsAs = (fn: FunctionModel) =>
  JSON.stringify([fn.inlineCode, fn.handler, fn.runtime, fn.timeoutSeconds, fn.memoryMb, fn.environment, fn.role.arn]);
const sameFunction = (a: FunctionModel, b: FunctionModel) =>
  runsAs(a) === runsAs(b) && sameCodeFolder(a.codeDir, b.codeDir);

/** The routes of an app: `GET /prod/items`, `ANY /{proxy+} (HTTP API x)`, `function URL of f`. */
function routesOf(model: CloudAssemblyModel): string[] {
  return [
    ...model.apis.flatMap((api) => api.methods.map((m) => `${m.httpMethod} /${api.stageName}${m.resourcePath}`)),
    ...model.httpApis.flatMap((api) => api.routes.map((route) => `${route.routeKey} (HTTP API ${api.apiId})`)),
    ...model.functionUrls.map((url) => `function URL of ${url.functionArn.split(':').at(-1)}`),
  ];
}

/** Compares two models of one app: functions, policies, routes. */
export function describeChanges(before: CloudAssemblyModel, after: CloudAssemblyModel): ReloadSummary {
  const names = (model: CloudAssemblyModel) => new Map(model.functions.map((fn) => [fn.arn, fn]));
  const old = names(before);
  const now = names(after);
  const policiesOf = (model: CloudAssemblyModel) =>
    new Map<string, string>([
      ...model.roles.map((role): [string, string] => [
        `role ${role.name}`,
        JSON.stringify([role.policies, role.boundary, role.trustPolicy]),
      ]),
      ...model.apis.map((api): [string, string] => [
        `${api.stackName}/${api.logicalId} policy`,
        JSON.stringify(api.policy),
      ]),
      ...model.functions.map((fn): [string, string] => [`${fn.name} permissions`, JSON.stringify(fn.permissions)]),
      ...model.vpcEndpoints.map((endpoint): [string, string] => [
        `${endpoint.stackName}/${endpoint.logicalId} endpoint policy`,
        JSON.stringify(endpoint.policy),
      ]),
    ]);
  const p0 = policiesOf(before);
  const p1 = policiesOf(after);
  const r0 = routesOf(before);
  const r1 = routesOf(after);
  return {
    functions: {
      changed: [...now]
        .filter(([arn, fn]) => old.has(arn) && !sameFunction(old.get(arn) as FunctionModel, fn))
        .map(([, fn]) => fn.name),
      added: [...now].filter(([arn]) => !old.has(arn)).map(([, fn]) => fn.name),
      removed: [...old].filter(([arn]) => !now.has(arn)).map(([, fn]) => fn.name),
    },
    policies: [...p1].filter(([key, value]) => p0.has(key) && p0.get(key) !== value).map(([key]) => key),
    routes: { added: r1.filter((route) => !r0.includes(route)), removed: r0.filter((route) => !r1.includes(route)) },
  };
}

/** The policies of the app's endpoints the stack answers as (execute-api, STS, Lambda): evaluated here. */
const endpointPolicies = (model: CloudAssemblyModel) =>
  model.vpcEndpoints
    .filter(listenedFor)
    .map(endpointPolicy)
    .filter((policy) => policy !== undefined);

const firstOf = (dirs: string | string[]): string => (typeof dirs === 'string' ? dirs : (dirs[0] ?? 'cdk.out'));

/** Reads an assembly into a model the stack can serve: managed policies attached, every policy checked. */
function loadModel(
  assemblyDir: string | string[],
  options: Pick<LocalStackOptions, 'defaultAccountId' | 'parameters'>,
): CloudAssemblyModel {
  const model = readCloudAssembly(assemblyDir, {
    defaultAccountId: options.defaultAccountId,
    parameters: options.parameters,
  });
  attachManagedPolicies(model);
  // What AWS does not support, it does not grant: one line at load, naming policy and statement.
  model.warnings.push(
    ...model.roles.flatMap((role) => [
      ...role.policies.flatMap(policyWarnings),
      ...(role.trustPolicy
        ? policyWarnings({ name: `${role.stackName}/${role.logicalId} trust policy`, document: role.trustPolicy })
        : []),
    ]),
    ...model.apis.flatMap((api) =>
      api.policy
        ? policyWarnings({ name: `${api.stackName}/${api.logicalId} resource policy`, document: api.policy })
        : [],
    ),
    ...endpointPolicies(model).flatMap(policyWarnings),
  );
  const problems = [
    ...model.roles.flatMap((role) => role.policies.flatMap(policyProblems)),
    ...model.roles.flatMap((role) =>
      role.trustPolicy
        ? policyProblems({ name: `${role.stackName}/${role.logicalId} trust policy`, document: role.trustPolicy })
        : [],
    ),
    ...model.apis.flatMap((api) =>
      api.policy
        ? policyProblems({ name: `${api.stackName}/${api.logicalId} resource policy`, document: api.policy })
        : [],
    ),
    ...endpointPolicies(model).flatMap(policyProblems),
  ];
  problems.push(...model.functions.filter(unbundled).map(unbundledProblem));
  problems.push(...privateApiProblems(model));
  model.warnings.push(...privateApiWarnings(model));
  model.warnings.push(...httpProxyWarnings(model));
  if (problems.length > 0)
    throw new AssemblyError(typeof assemblyDir === 'string' ? assemblyDir : assemblyDir.join(' and '), problems);
  return model;
}

/**
 * A function whose code folder is a project, not its bundle: no handler module, a package.json
 * or cdk.json. What a synth that skips bundling leaves (`cdk deploy --exclusively` for the other
 * stacks, a rehearsal): every call would fail `Cannot find module`, where AWS runs the bundle.
 */
function unbundled(fn: FunctionModel): boolean {
  const { codeDir } = fn;
  if (!codeDir || fn.unsupported) return false;
  const slash = fn.handler.lastIndexOf('/');
  const module = `${fn.handler.slice(0, slash + 1)}${fn.handler.slice(slash + 1).split('.')[0]}`;
  if (['.js', '.mjs', '.cjs'].some((extension) => existsSync(join(codeDir, `${module}${extension}`)))) return false;
  return ['package.json', 'cdk.json'].some((file) => existsSync(join(codeDir, file)));
}

const unbundledProblem = (fn: FunctionModel) =>
  `${fn.stackName} ${fn.name}: its code is the project folder ${fn.codeDir}, not a bundle (a synth that skipped bundling, as \`cdk deploy --exclusively\` leaves the other stacks); synthesize with bundling: \`npx cdk synth ${fn.stackName}\` in the app`;
