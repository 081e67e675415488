import { randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudAssemblyModel, type FunctionModel, type RestApiModel, readCloudAssembly } from './assembly/model.js';
import { AwsError, missingAuthenticationToken } from './aws-error.js';
import type { LocalResponse } from './gateway/event.js';
import { handleRestApiRequest } from './gateway/rest-api.js';
import { type Identity, IdentityStore, mintCredentials, roleSession } from './iam/identities.js';
import { handleInvoke } from './lambda/invoke-api.js';
import { FunctionRuntime } from './lambda/runtime.js';
import { percentDecode } from './sigv4/canonical.js';

/** Options of {@link LocalStack.start}. */
export interface LocalStackOptions {
  /** The synthesized cloud assembly (`cdk.out`). */
  assemblyDir: string;
  /** Port on 127.0.0.1. @default 0, any free port */
  port?: number;
  /** Where the functions' own output goes. @default 'inherit' (this process's stderr) */
  functionOutput?: 'inherit' | 'ignore';
  /** Account of env-agnostic stacks. @default '000000000000' */
  defaultAccountId?: string;
  /** The servers' clock (tests move it). @default the system clock */
  now?: () => Date;
}

/** The state file of CONTRACT.md: endpoints, APIs, functions and principals. */
export interface LocalState {
  region: string;
  lambdaEndpoint: string;
  apis: { restApiId: string; accountId: string; stage: string; url: string }[];
  functions: { name: string; functionName: string; accountId: string }[];
  principals: {
    name: string;
    arn: string;
    accountId: string;
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
  }[];
}

/** An account no stack of the assembly trusts. */
export const OUTSIDER_ACCOUNT = '999999999999';
/** Request bodies API Gateway accepts. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const ALT_API_PATH = /^\/restapis\/([a-z0-9]+)(\/.*)$/;

/**
 * The local stand-in for the AWS parts of the pattern, driven by a cloud assembly: API
 * Gateway REST APIs (AWS_IAM), the Lambda Invoke API and the functions themselves, on one
 * port of 127.0.0.1. Each function runs with its role's locally minted credentials.
 *
 * @example
 * ```ts
 * const stack = await LocalStack.start({ assemblyDir: 'packages/infra/cdk.out' });
 * console.log(stack.state().apis[0]?.url);
 * await stack.close();
 * ```
 */
export class LocalStack {
  readonly identities: IdentityStore;
  readonly runtimes = new Map<string, FunctionRuntime>();
  #server: Server | undefined;
  #origin = '';

  private constructor(
    readonly model: CloudAssemblyModel,
    private readonly options: LocalStackOptions,
  ) {
    this.identities = new IdentityStore(options.now);
  }

  /** Reads the assembly, mints identities, listens, and prepares every function. */
  public static async start(options: LocalStackOptions): Promise<LocalStack> {
    const model = readCloudAssembly(options.assemblyDir, { defaultAccountId: options.defaultAccountId });
    const stack = new LocalStack(model, options);
    await stack.#listen(options.port ?? 0);
    stack.#prepare();
    return stack;
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

  /** The function of the given friendly name (`requestor`). */
  public runtime(name: string): FunctionRuntime | undefined {
    return [...this.runtimes.values()].find((runtime) => runtime.fn.name === name);
  }

  /** The identity of the given name (`requestor`, `outsider`, `operator`, or a function name). */
  public identity(name: string): Identity | undefined {
    return this.identities.all().find((identity) => identity.name === name);
  }

  /** What the state file holds. */
  public state(): LocalState {
    return {
      region: this.model.region,
      lambdaEndpoint: this.#origin,
      apis: this.model.apis.map((api) => ({
        restApiId: api.restApiId,
        accountId: api.accountId,
        stage: api.stageName,
        url: this.apiUrl(api),
      })),
      functions: this.model.functions.map((fn) => ({
        name: fn.name,
        functionName: fn.functionName,
        accountId: fn.accountId,
      })),
      principals: this.identities.all().map((identity) => ({
        name: identity.name,
        arn: identity.principal.arn,
        accountId: identity.principal.accountId,
        accessKeyId: identity.credentials.accessKeyId,
        secretAccessKey: identity.credentials.secretAccessKey,
        sessionToken: identity.credentials.sessionToken,
      })),
    };
  }

  /** Writes the state file atomically (readers never see half of it). */
  public writeState(file: string): void {
    writeFileSync(`${file}.tmp`, `${JSON.stringify(this.state(), null, 2)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  /** Stops the server and every function. */
  public async close(): Promise<void> {
    for (const runtime of this.runtimes.values()) runtime.close();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #prepare(): void {
    const { model } = this;
    for (const fn of model.functions) {
      const session = this.identities.add(roleSession(fn.name, fn.role, fn.functionName));
      this.runtimes.set(
        fn.arn,
        new FunctionRuntime(fn, {
          environment: this.#environment(fn, session),
          output: this.options.functionOutput ?? 'inherit',
        }),
      );
    }
    const requestor = this.identity('requestor') ?? this.identities.all()[0];
    const home = requestor?.principal.accountId ?? this.options.defaultAccountId ?? '000000000000';
    this.identities.add(
      extraIdentity('outsider', OUTSIDER_ACCOUNT, { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }),
    );
    this.identities.add(extraIdentity('operator', home, { Effect: 'Allow', Action: '*', Resource: '*' }));
  }

  /** The function's environment: template variables (AWS API URLs made local) and its role's credentials. */
  #environment(fn: FunctionModel, session: Identity): Record<string, string> {
    const variables: Record<string, string> = {};
    for (const [name, value] of Object.entries(fn.environment)) {
      let local = value;
      for (const api of this.model.apis) {
        const remote = `https://${api.restApiId}.execute-api.${api.region}.amazonaws.com/${api.stageName}`;
        local = local.replaceAll(remote, this.apiUrl(api).slice(0, -1));
      }
      variables[name] = local;
    }
    return {
      ...variables,
      AWS_ACCESS_KEY_ID: session.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: session.credentials.sessionToken,
    };
  }

  async #listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.#serve(req, res).catch((error: unknown) => {
        // Never reached by an AWS-shaped error; logged without request details (they may hold secrets).
        process.stderr.write(`local stack: unexpected ${error instanceof Error ? error.name : 'error'}\n`);
        const now = (this.options.now?.() ?? new Date()).toUTCString();
        if (!res.headersSent)
          send(res, errorResponse(new AwsError(500, 'InternalFailure', 'An internal error occurred.')), now);
      });
    });
    // Requests Node cannot parse still get an AWS-shaped answer, then the connection closes.
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
      const body = JSON.stringify({ message: tooLarge ? 'Request Header Fields Too Large' : 'Bad Request' });
      if (!socket.writable) return socket.destroy();
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nx-amzn-ErrorType: BadRequestException\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let response: LocalResponse;
    try {
      const body = await readBody(req, MAX_BODY_BYTES);
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        headers.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
      const request = {
        method: req.method ?? 'GET',
        target: req.url ?? '/',
        headers,
        body,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      };
      response = await this.#route(request);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      response = errorResponse(error);
    }
    // Every AWS answer carries a request id, errors included: it is what support asks for.
    response.headers['x-amzn-requestid'] ??= randomUUID();
    send(res, response, (this.options.now?.() ?? new Date()).toUTCString());
  }

  async #route(request: Parameters<typeof handleRestApiRequest>[1]): Promise<LocalResponse> {
    const path = request.target.split('?')[0] ?? '';
    const invoke = INVOKE_PATH.exec(path);
    const context = { identities: this.identities, runtimes: this.runtimes, now: this.options.now };
    if (invoke && request.method === 'POST') {
      return handleInvoke(request, percentDecode(invoke[1] ?? ''), { ...context, region: this.model.region });
    }
    const alternate = ALT_API_PATH.exec(request.target);
    const api = alternate ? this.model.apis.find((a) => a.restApiId === alternate[1]) : this.model.apis[0];
    if (!api) throw missingAuthenticationToken();
    return handleRestApiRequest(api, request, alternate ? (alternate[2] ?? '/') : request.target, context);
  }
}

function extraIdentity(name: string, accountId: string, statement: Record<string, string>): Identity {
  const roleId = `AROA${mintCredentials().accessKeyId.slice(4, 21)}`;
  return {
    name,
    principal: {
      arn: `arn:aws:sts::${accountId}:assumed-role/${name}/${name}`,
      accountId,
      entityArn: `arn:aws:iam::${accountId}:role/${name}`,
    },
    userId: `${roleId}:${name}`,
    credentials: mintCredentials(),
    policies: [{ Statement: { ...statement, Effect: 'Allow' } as never }],
  };
}

function errorResponse(error: AwsError): LocalResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.type },
    body: JSON.stringify({ message: error.message }),
  };
}

/** Writes a response; `date` is the server's clock, which clients correct their skew from. */
function send(res: ServerResponse, response: LocalResponse, date: string): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  res.writeHead(response.status, { ...response.headers, date, 'content-length': String(body.length) });
  res.end(body);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new AwsError(413, 'RequestTooLongException', 'Request Too Long');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AwsError(413, 'RequestTooLongException', 'Request Too Long');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
