import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionModel } from '../assembly/model.js';

/** The error payload of a failed invocation, as Lambda reports it. */
export interface InvocationError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** The outcome of one invocation. */
export type InvocationResult = { ok: true; result: unknown } | { ok: false; error: InvocationError };

/** Options of {@link FunctionRuntime}. */
export interface RuntimeOptions {
  /** The function's environment: its role's credentials, region, template variables. */
  environment: Record<string, string>;
  /** Where the function's stdout and stderr go. @default the parent's stderr */
  output?: 'inherit' | 'ignore';
  /** Most execution environments at once. @default 16 */
  maxConcurrency?: number;
}

const RUNNER = fileURLToPath(new URL('./runner.mjs', import.meta.url));

interface Container {
  process: ChildProcess;
  busy: boolean;
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
  readonly #waiting: ((container: Container) => void)[] = [];
  readonly #maxConcurrency: number;
  #inlineDir: string | undefined;

  public constructor(
    public readonly fn: FunctionModel,
    private readonly options: RuntimeOptions,
  ) {
    this.#maxConcurrency = options.maxConcurrency ?? 16;
  }

  /** Invokes the function with `event`; resolves with its result or its error, never rejects. */
  public async invoke(event: unknown, requestId: string = randomUUID()): Promise<InvocationResult> {
    if (this.fn.unsupported) {
      process.stderr.write(
        `iam-m2m-local: ${this.fn.name} (${this.fn.functionName}) was invoked but cannot run locally: ${this.fn.unsupported}\n`,
      );
      return {
        ok: false,
        error: { errorType: 'Runtime.Unsupported', errorMessage: `${this.fn.functionName}: ${this.fn.unsupported}` },
      };
    }
    const container = await this.#acquire();
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const id = randomUUID();
    try {
      return await new Promise<InvocationResult>((resolve) => {
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
          finish({
            ok: false,
            error: {
              errorType: 'Runtime.ExitError',
              errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${signal ?? `exit status ${code}`}`,
            },
          });
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
          event,
          deadline: Date.now() + timeoutMs,
          invokedFunctionArn: this.fn.arn,
        });
      });
    } finally {
      this.#release(container);
    }
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
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(container: Container): void {
    if (!this.#containers.includes(container)) return;
    const next = this.#waiting.shift();
    if (next) next(container);
    else container.busy = false;
  }

  #discard(container: Container): void {
    container.process.kill('SIGKILL');
    this.#containers.splice(this.#containers.indexOf(container), 1);
    const next = this.#waiting.shift();
    if (next) void this.#start().then(next);
  }

  async #start(): Promise<Container> {
    const { fn } = this;
    const codeDir = this.#codeDir();
    const child = fork(RUNNER, [], {
      cwd: codeDir,
      env: {
        PATH: process.env.PATH,
        ...this.options.environment,
        LAMBDA_TASK_ROOT: codeDir,
        _HANDLER: fn.handler,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
        AWS_REGION: fn.region,
        AWS_DEFAULT_REGION: fn.region,
        TZ: ':UTC',
      },
      stdio: [
        'ignore',
        this.options.output === 'ignore' ? 'ignore' : 2,
        this.options.output === 'ignore' ? 'ignore' : 2,
        'ipc',
      ],
      execArgv: [],
    });
    const container: Container = { process: child, busy: true };
    this.#containers.push(container);
    child.once('exit', () => {
      const index = this.#containers.indexOf(container);
      if (index !== -1) this.#containers.splice(index, 1);
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
    });
    return container;
  }
}
