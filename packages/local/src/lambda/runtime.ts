import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import type { FunctionModel } from '../assembly/model.js';
import { type NodeBinary, nodeBinaryFor } from './node-binary.js';
import { runtimeModulePatterns, runtimeModulesFolders } from './runtime-modules.js';
import {
  formatTraceHeader,
  type InvocationTimes,
  lambdaSegments,
  lambdaTrace,
  type SegmentSink,
  type TraceContext,
} from './tracing.js';

/** The error payload of a failed invocation, as Lambda reports it. */
export interface InvocationError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** The outcome of one invocation, with its log as Lambda writes it (START … END … REPORT). */
export type InvocationResult = ({ ok: true; result: unknown } | { ok: false; error: InvocationError }) & {
  log?: string;
};

/**
 * An event as the JSON text a caller sent (the Invoke API's payload): parsed only in the
 * execution environment, as Lambda's runtime parses it, so any valid JSON reaches the function
 * (however deeply nested) and nothing is serialized twice.
 *
 * @example
 * ```ts
 * await runtime.invoke(new JsonPayload('{"deep":[[[]]]}'));
 * ```
 */
export class JsonPayload {
  public constructor(public readonly text: string) {}
}

/** Options of one {@link FunctionRuntime.invoke}. */
export interface InvokeOptions {
  /** The Lambda request id (`context.awsRequestId`). @default a new one */
  requestId?: string;
  /** The version that runs (`$LATEST`, `1`): `AWS_LAMBDA_FUNCTION_VERSION` and the log's START line. @default '$LATEST' */
  version?: string;
  /** The caller's trace context (`X-Amzn-Trace-Id`, or API Gateway's), continued as Lambda does. @default none */
  trace?: TraceContext | undefined;
}

/** Options of {@link FunctionRuntime}. */
export interface RuntimeOptions {
  /** The function's environment: its role's credentials, region, template variables. */
  environment: Record<string, string>;
  /** Where the function's stdout and stderr go, line by line. @default the parent's stderr */
  output?: 'inherit' | 'ignore';
  /**
   * The local stack's origin (`http://127.0.0.1:<port>`): the function's calls to the AWS hosts
   * the stack serves (API Gateway, function URLs, the Lambda API, STS, in any region) connect
   * there instead. @default none: they go where Node sends them
   */
  stackOrigin?: string | undefined;
  /** Most execution environments at once. @default 16 */
  maxConcurrency?: number;
  /** Where the Lambda service side's segments go (the local X-Ray daemon). @default none: nothing recorded */
  segments?: SegmentSink | undefined;
  /**
   * The cloud assembly's folder: the modules the runtime provides (`@aws-sdk/*` from nodejs18.x
   * on) resolve from the `node_modules` folders from there up, the app's installed packages
   * (then from the SDK this package carries).
   * @default the folder holding the function's code folder (inline code then gets only this package's)
   */
  assemblyDir?: string | undefined;
}

const RUNNER = fileURLToPath(new URL('./runner.mjs', import.meta.url));

interface Container {
  process: ChildProcess;
  busy: boolean;
  /** Output of the invocation running, whole lines, for its log. */
  output: string[];
  /** End markers seen (one per stream per invocation), by invocation id. */
  ends: Map<string, number>;
  /** Called when an end marker arrives. */
  onEnd?: (() => void) | undefined;
  /** Not yet invoked: the next invocation is a cold start. */
  cold: boolean;
  startedAt: number;
  readyAt: number;
  /** The same two moments in epoch milliseconds, for trace segments. */
  startedEpoch: number;
  readyEpoch: number;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Lambda's answer when the execution environment's process ends, in its init phase or an invocation. */
const exited = (requestId: string, reason: string): InvocationResult => ({
  ok: false,
  error: {
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${reason}`,
  },
});

// What the runner writes on stdout and stderr after each invocation's output.
const END_MARK = '\u0000iam-m2m-end:';
const END_MARKER = new RegExp(`${END_MARK}([0-9a-f-]+)\n`, 'g');

/**
 * Reads an output stream of an execution environment as Lambda's log agent reads stdout and
 * stderr, line by line: only whole lines go to `take`, so lines of other streams and functions
 * never run into them. The runner's end markers go to `ended`; a line still open at its
 * invocation's end, or at the stream's, ends there (as Lambda flushes it), never continued by the next.
 */
function readLines(stream: Readable, take: (lines: string) => void, ended: (id: string) => void): void {
  // A character may straddle chunks: one decoder for the stream.
  const decoder = new StringDecoder('utf8');
  let open = '';
  stream.on('data', (chunk: Buffer) => {
    const text = open + decoder.write(chunk);
    const end = text.lastIndexOf('\n') + 1;
    open = text.slice(end);
    const ids: string[] = [];
    let lines = text.slice(0, end);
    if (lines.includes(END_MARK))
      lines = lines.replace(END_MARKER, (_marker, id: string, at: number, all: string) => {
        ids.push(id);
        return at > 0 && all[at - 1] !== '\n' ? '\n' : '';
      });
    if (lines) take(lines);
    for (const id of ids) ended(id);
  });
  stream.on('end', () => {
    const rest = open + decoder.end();
    if (rest) take(`${rest}\n`);
  });
}

/** `2026/11/25/[$LATEST]<32 hex>`, as Lambda names an execution environment's log stream. */
function logStreamName(now = new Date()): string {
  const day = `${now.getUTCFullYear()}/${two(now.getUTCMonth() + 1)}/${two(now.getUTCDate())}`;
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/**
 * Runs one function's bundle as Lambda does: each execution environment is its own Node
 * process with the function's environment, reused across invocations (one at a time),
 * more of them under concurrency; the template's timeout kills the environment.
 *
 * @example
 * ```ts
 * const runtime = new FunctionRuntime(fn, { environment });
 * const outcome = await runtime.invoke({ path: '/' });
 * ```
 */
export class FunctionRuntime {
  readonly #containers: Container[] = [];
  readonly #waiting: { resolve: (container: Container) => void; reject: (error: Error) => void }[] = [];
  readonly #maxConcurrency: number;
  #inlineDir: string | undefined;
  readonly #node: NodeBinary;

  public constructor(
    public fn: FunctionModel,
    private readonly options: RuntimeOptions,
  ) {
    this.#maxConcurrency = options.maxConcurrency ?? 16;
    this.#node = nodeBinaryFor(fn.runtime);
  }

  /** The Node.js it runs on. */
  public get node(): NodeBinary {
    return this.#node;
  }

  /** Invokes the function with `event` (a value, or {@link JsonPayload}); resolves with its result or its error, never rejects. */
  public async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    const requestId = options.requestId ?? randomUUID();
    const version = options.version ?? '$LATEST';
    const received = Date.now();
    if (this.fn.unsupported) {
      process.stderr.write(
        `iam-m2m-local: ${this.fn.name} (${this.fn.functionName}) was invoked but cannot run locally: ${this.fn.unsupported}\n`,
      );
      return {
        ok: false,
        error: { errorType: 'Runtime.Unsupported', errorMessage: `${this.fn.functionName}: ${this.fn.unsupported}` },
      };
    }
    let container: Container;
    try {
      container = await this.#acquire();
    } catch (error) {
      // The execution environment died in its init phase (the module exited, say).
      return exited(requestId, (error as Error).message);
    }
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const id = randomUUID();
    const started = performance.now();
    const cold = container.cold;
    container.cold = false;
    container.output = [];
    // The function segment's id is the Parent its own subsegments name (as on Lambda).
    const trace = lambdaTrace(this.fn.tracing, options.trace);
    const traceHeader = formatTraceHeader({ ...trace.context, parent: trace.functionId });
    const invocationStart = Date.now();
    let invocationEnd = invocationStart;
    try {
      const outcome = await new Promise<InvocationResult>((resolve) => {
        const finish = (outcome: InvocationResult) => {
          clearTimeout(timer);
          container.process.off('message', onMessage);
          container.process.off('exit', onExit);
          resolve(outcome);
        };
        const onMessage = (message: { id?: string } & InvocationResult) => {
          if (message.id !== id) return;
          finish(message.ok ? { ok: true, result: message.result } : { ok: false, error: message.error });
        };
        const onExit = (code: number | null, signal: string | null) =>
          finish(exited(requestId, signal ?? `exit status ${code}`));
        const timer = setTimeout(() => {
          this.#discard(container);
          finish({
            ok: false,
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`,
            },
          });
        }, timeoutMs);
        container.process.on('message', onMessage);
        container.process.once('exit', onExit);
        container.process.send({
          type: 'invoke',
          id,
          requestId,
          payload: event instanceof JsonPayload ? event.text : JSON.stringify(event),
          version,
          traceId: traceHeader,
          deadline: Date.now() + timeoutMs,
          invokedFunctionArn: this.fn.arn,
        });
      });
      const durationMs = performance.now() - started;
      invocationEnd = Date.now();
      if (outcome.ok || outcome.error.errorType !== 'Sandbox.Timedout') await this.#outputEnded(container, id);
      const initMs = cold ? container.readyAt - container.startedAt : undefined;
      if (trace.context.sampled && this.options.segments) {
        const times: InvocationTimes = {
          received,
          init: cold ? { start: container.startedEpoch, end: container.readyEpoch } : undefined,
          invocationStart,
          invocationEnd,
          end: Date.now(),
        };
        const failure = outcome.ok
          ? undefined
          : {
              ...outcome.error,
              fault: outcome.error.errorType.startsWith('Sandbox.') || outcome.error.errorType === 'Runtime.ExitError',
            };
        for (const document of lambdaSegments(trace, this.fn, requestId, times, failure))
          this.options.segments.record(document);
      }
      return { ...outcome, log: this.#log(container, requestId, version, durationMs, initMs) };
    } finally {
      this.#release(container);
    }
  }

  /** Waits until both of the container's streams have carried the invocation's end marker (or a moment passed). */
  async #outputEnded(container: Container, id: string): Promise<void> {
    const ended = () => (container.ends.get(id) ?? 0) >= 2 || !container.process.connected;
    if (!ended()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        container.onEnd = () => {
          if (!ended()) return;
          clearTimeout(timer);
          resolve();
        };
      });
    }
    container.onEnd = undefined;
    container.ends.delete(id);
  }

  /** The invocation's log as Lambda writes it to CloudWatch Logs. */
  #log(container: Container, requestId: string, version: string, durationMs: number, initMs?: number): string {
    const output = container.output.join('');
    const report = [
      `REPORT RequestId: ${requestId}`,
      `Duration: ${durationMs.toFixed(2)} ms`,
      `Billed Duration: ${Math.ceil(durationMs + (initMs ?? 0))} ms`,
      `Memory Size: ${this.fn.memoryMb} MB`,
      `Max Memory Used: ${Math.ceil(process.memoryUsage().rss / 1024 / 1024 / 4)} MB`,
      ...(initMs === undefined ? [] : [`Init Duration: ${initMs.toFixed(2)} ms`]),
    ].join('\t');
    return `START RequestId: ${requestId} Version: ${version}\n${output}END RequestId: ${requestId}\n${report}\t\n`;
  }

  /** The environment its processes start with. */
  public get environment(): Readonly<Record<string, string>> {
    return this.options.environment;
  }

  /** Stops once the invocations running have finished (a reload's old code finishes what it started). */
  public async closeWhenIdle(): Promise<void> {
    while (this.#containers.some((container) => container.busy) || this.#waiting.length > 0)
      await new Promise((resolve) => setTimeout(resolve, 50));
    this.close();
  }

  /** Stops every execution environment. */
  public close(): void {
    for (const container of [...this.#containers]) this.#discard(container);
    if (this.#inlineDir) rmSync(this.#inlineDir, { recursive: true, force: true });
  }

  /** Where the code is: the asset folder, or inline code (`ZipFile`) written out as `index.js`, as Lambda does. */
  #codeDir(): string {
    if (this.fn.codeDir) return this.fn.codeDir;
    if (!this.#inlineDir) {
      this.#inlineDir = mkdtempSync(join(tmpdir(), 'iam-m2m-inline-'));
      writeFileSync(join(this.#inlineDir, 'index.js'), this.fn.inlineCode ?? '');
    }
    return this.#inlineDir;
  }

  async #acquire(): Promise<Container> {
    const idle = this.#containers.find((c) => !c.busy && c.process.connected);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    if (this.#containers.length < this.#maxConcurrency) return this.#start();
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #release(container: Container): void {
    if (!this.#containers.includes(container)) return;
    const next = this.#waiting.shift();
    if (next) next.resolve(container);
    else container.busy = false;
  }

  #discard(container: Container): void {
    container.process.kill('SIGKILL');
    this.#containers.splice(this.#containers.indexOf(container), 1);
    const next = this.#waiting.shift();
    // Its replacement serves the next caller; if that one dies in its init phase, so does the call.
    if (next) void this.#start().then(next.resolve, next.reject);
  }

  async #start(): Promise<Container> {
    const startedAt = performance.now();
    const startedEpoch = Date.now();
    const child = this.#fork();
    const container: Container = {
      process: child,
      busy: true,
      output: [],
      ends: new Map(),
      cold: true,
      startedAt,
      readyAt: startedAt,
      startedEpoch,
      readyEpoch: startedEpoch,
    };
    this.#collectOutput(container);
    this.#containers.push(container);
    child.once('exit', () => {
      const index = this.#containers.indexOf(container);
      if (index !== -1) this.#containers.splice(index, 1);
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(signal ?? `exit status ${code}`)));
    });
    container.readyAt = performance.now();
    container.readyEpoch = Date.now();
    return container;
  }

  /** A new execution environment's process: the runner, with what it needs to know on argv, and Lambda's environment. */
  #fork(): ChildProcess {
    const { fn } = this;
    const codeDir = this.#codeDir();
    // For the runner, never the function: which modules the runtime provides and where they
    // resolve from, and where the AWS hosts are answered.
    const setup = {
      provided: runtimeModulePatterns(fn.runtime),
      from: runtimeModulesFolders(fn, this.options.assemblyDir),
      stack: this.options.stackOrigin,
    };
    return fork(RUNNER, [JSON.stringify(setup)], {
      cwd: codeDir,
      env: {
        PATH: process.env.PATH,
        ...this.options.environment,
        // The runtime environment Lambda defines (docs: "Defined runtime environment variables").
        LAMBDA_TASK_ROOT: codeDir,
        _HANDLER: fn.handler,
        AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
        AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
        AWS_REGION: fn.region,
        AWS_DEFAULT_REGION: fn.region,
        AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
        // Lambda's X-Ray daemon: the local one (its address in both of Lambda's forms).
        ...(this.options.segments ? xrayDaemonVariables(this.options.segments.address) : {}),
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      execPath: this.#node.path,
    });
  }

  /**
   * The function's stdout and stderr, whole lines each: into the log of the invocation running,
   * and to this process's stderr unless ignored; the runner's end markers counted.
   */
  #collectOutput(container: Container): void {
    const take = (lines: string) => {
      if (container.busy) container.output.push(lines);
      if (this.options.output !== 'ignore') process.stderr.write(lines);
    };
    const ended = (id: string) => {
      container.ends.set(id, (container.ends.get(id) ?? 0) + 1);
      container.onEnd?.();
    };
    for (const stream of [container.process.stdout, container.process.stderr])
      if (stream) readLines(stream, take, ended);
  }
}

/** `AWS_XRAY_DAEMON_ADDRESS` (`ip:port`), `_AWS_XRAY_DAEMON_ADDRESS` and `_AWS_XRAY_DAEMON_PORT`, as Lambda sets them. */
function xrayDaemonVariables(address: string): Record<string, string> {
  const colon = address.lastIndexOf(':');
  return {
    AWS_XRAY_DAEMON_ADDRESS: address,
    _AWS_XRAY_DAEMON_ADDRESS: address.slice(0, colon),
    _AWS_XRAY_DAEMON_PORT: address.slice(colon + 1),
  };
}
