import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionModel } from '../assembly/model.js';
import type { RunnerNetwork } from '../services/vpc-endpoint/endpoint.js';
import { type Answer, type Container, EnvironmentPool, type Environments } from './environments.js';
import { type NodeBinary, nodeBinaryFor } from './node-binary.js';
import {
  formatTraceHeader,
  type InvocationTimes,
  type LambdaInvocationTrace,
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
 * (however deeply nested) and nothing is serialized twice. Any other event goes to the
 * environment as a value, serialized once as JSON on the way (the same value JSON text of it
 * would parse to).
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
  /** A function in a VPC: the endpoints it reaches, each at its own origin, and whether it reaches the internet. @default none */
  network?: RunnerNetwork | undefined;
  /** Where the runtime says what a function tried that AWS would not let it do (a host it cannot reach). @default stderr */
  notice?: ((line: string) => void) | undefined;
  /** Most execution environments at once. @default 16 */
  maxConcurrency?: number;
  /** How environments are started under concurrency (see {@link Environments}). @default 'warm' */
  environments?: Environments | undefined;
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

/** Lambda's answer when the execution environment's process ends, in its init phase or an invocation. */
const exited = (requestId: string, reason: string): InvocationResult => ({
  ok: false,
  error: {
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${reason}`,
  },
});
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
  readonly #pool: EnvironmentPool;
  #inlineDir: string | undefined;
  readonly #node: NodeBinary;

  public constructor(
    public fn: FunctionModel,
    private readonly options: RuntimeOptions,
  ) {
    this.#node = nodeBinaryFor(fn.runtime);
    this.#pool = new EnvironmentPool({
      fn: () => this.fn,
      node: this.#node,
      codeDir: () => this.#codeDir(),
      environment: options.environment,
      output: options.output,
      stackOrigin: options.stackOrigin,
      network: options.network,
      notice: options.notice,
      daemonAddress: options.segments?.address,
      assemblyDir: options.assemblyDir,
      environments: options.environments,
      maxConcurrency: options.maxConcurrency ?? 16,
    });
  }

  /** The network its environments start in (undefined outside a VPC). */
  public get network(): RunnerNetwork | undefined {
    return this.options.network;
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
      container = await this.#pool.acquire();
    } catch (error) {
      // The execution environment died in its init phase (the module exited, say).
      return exited(requestId, (error as Error).message);
    }
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const started = performance.now();
    const cold = container.cold;
    container.cold = false;
    container.output = [];
    // The function segment's id is the Parent its own subsegments name (as on Lambda).
    const { segments } = this.options;
    const trace = lambdaTrace(this.fn.tracing, options.trace, () => segments?.sample(this.fn.arn) ?? true);
    const traceHeader = formatTraceHeader({ ...trace.context, parent: trace.functionId });
    const invocationStart = Date.now();
    let invocationEnd = invocationStart;
    const id = randomUUID();
    let reset = false;
    try {
      const answer = await this.#pool.run(
        container,
        {
          id,
          requestId,
          ...(event instanceof JsonPayload ? { payload: event.text } : { event }),
          version,
          traceId: traceHeader,
          deadline: Date.now() + timeoutMs,
          invokedFunctionArn: this.fn.arn,
        },
        timeoutMs,
      );
      reset = answer !== 'timeout' && 'id' in answer && answer.reset === true;
      const outcome = this.#outcome(answer, requestId);
      const durationMs = performance.now() - started;
      invocationEnd = Date.now();
      if (answer !== 'timeout' && 'id' in answer && answer.markers)
        await this.#pool.outputEnded(container, id, answer.markers);
      const initMs = cold ? container.readyAt - container.startedAt : undefined;
      if (trace.context.sampled && this.options.segments) {
        const times: InvocationTimes = {
          received,
          init: cold ? { start: container.startedEpoch, end: container.readyEpoch } : undefined,
          invocationStart,
          invocationEnd,
          end: Date.now(),
        };
        this.#recordSegments(this.options.segments, trace, requestId, times, outcome);
      }
      // The log is read by few callers (Invoke with LogType Tail): written out when first read.
      const facts = { output: container.output, maxMemoryMb: container.maxMemoryMb, requestId, version };
      let log: string | undefined;
      return Object.defineProperty(outcome, 'log', {
        enumerable: true,
        get: () => {
          log ??= this.#log(facts, durationMs, initMs);
          return log;
        },
      });
    } finally {
      if (reset) this.#pool.discard(container);
      else this.#pool.release(container);
    }
  }

  /** The Lambda service's segments of a sampled invocation. */
  #recordSegments(
    sink: SegmentSink,
    trace: LambdaInvocationTrace,
    requestId: string,
    times: InvocationTimes,
    outcome: InvocationResult,
  ): void {
    const failure = outcome.ok
      ? undefined
      : {
          ...outcome.error,
          fault: outcome.error.errorType.startsWith('Sandbox.') || outcome.error.errorType === 'Runtime.ExitError',
        };
    for (const document of lambdaSegments(trace, this.fn, requestId, times, failure)) sink.record(document);
  }

  /** What Lambda makes of an invocation's end: the function's result or error, a timeout, a process that ended. */
  #outcome(answer: Answer | 'timeout', requestId: string): InvocationResult {
    if (answer === 'timeout')
      return {
        ok: false,
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`,
        },
      };
    if ('exited' in answer) return exited(requestId, answer.exited);
    return answer.ok ? { ok: true, result: answer.result } : { ok: false, error: answer.error };
  }

  /** The invocation's log as Lambda writes it to CloudWatch Logs. */
  #log(
    {
      output: lines,
      maxMemoryMb,
      requestId,
      version,
    }: { output: string[]; maxMemoryMb: number; requestId: string; version: string },
    durationMs: number,
    initMs?: number,
  ): string {
    const output = lines.join('');
    const report = [
      `REPORT RequestId: ${requestId}`,
      `Duration: ${durationMs.toFixed(2)} ms`,
      `Billed Duration: ${Math.ceil(durationMs + (initMs ?? 0))} ms`,
      `Memory Size: ${this.fn.memoryMb} MB`,
      `Max Memory Used: ${maxMemoryMb} MB`,
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
    while (this.#pool.busy) await new Promise((resolve) => setTimeout(resolve, 50));
    this.close();
  }

  /** Stops every execution environment. */
  public close(): void {
    this.#pool.close();
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
}
